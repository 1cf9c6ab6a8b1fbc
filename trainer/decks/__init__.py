"""Decks: the content a learner studies.

Owns reading and validating deck files and the concept vocabulary (`deckfile`), applying them to
the database (`sync`), writing imported decks into a deck folder (`writer`) under a journal
that a crash leaves to be finished or rolled back (`atomic`), turning deck
Markdown into safe HTML or plain text (`render`), finding cards (`browse`), and cards written in
a front end: a form's draft, its preview and problems by field (`cardform`), saved into the
learner's own deck file or the card's own file (`owncards`).

May import: `trainer.storage` and the domain objects. Never imports study, insights, accounts, the
facade or the CLI.
"""
