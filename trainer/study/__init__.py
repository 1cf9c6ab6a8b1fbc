"""Study: what happens in a review session.

Owns FSRS scheduling of one answer with the trainer's rules (`scheduling`), which card comes next
and how many are due (`queue`), the drill rubric's suggested rating (`rubric`) and how long
today's cards will take (`estimates`).

May import: `trainer.storage` and the domain objects. Never imports insights (the two are
independent), decks, accounts, the facade or the CLI.
"""
