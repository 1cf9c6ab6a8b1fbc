"""Accounts: who may use a shared server.

Owns learners' accounts, invites, logins and session epochs (`users`), the password policy and
hashing (`passwords`), failed-login throttling (`throttle`) and where a server may listen
(`serving`).

May import: `trainer.storage` and the domain objects. Never imports decks, study, insights, the
facade or the CLI; Flask is imported nowhere.
"""
