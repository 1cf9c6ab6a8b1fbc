"""Storage: the database beneath everything else in the trainer.

Owns the engines for any SQLAlchemy URL (`database`), the typed schema (`schema`) and its Alembic
migrations (`migrations/`), the row-level reads and writes every operation shares (`store`), the
statements run straight on the driver for the hot path (`driver`), the cards' full-text index
and safe queries on it (`fulltext`), backups and restore (`backup`) and where the files live by
default (`paths`).

May import: the domain objects at the top of the package (`trainer.model`, `trainer.settings`,
`trainer.clock`, `trainer.errors`). Never imports decks, study, insights, accounts, the facade or
the CLI.
"""
