"""Decks: the content a learner studies.

Owns reading and validating deck files and the concept vocabulary (`deckfile`), applying them to
the database (`sync`), turning deck Markdown into safe HTML or plain text (`render`) and finding
cards (`browse`).

May import: `trainer.storage` and the domain objects. Never imports study, insights, accounts, the
facade or the CLI.
"""
