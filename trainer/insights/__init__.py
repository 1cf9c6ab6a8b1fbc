"""Insights: what the learner's history says.

Owns per-domain statistics (`stats`), weak concepts and domains (`weakness`), calibration
(`calibration`), interview readiness (`readiness`), FSRS memory formulas over arrays
(`forecast`), focus sessions built on them (`focus`), charts (`charts`), FSRS parameter fitting
(`optimize`), the progress summary (`summary`) and synthetic histories for tests and benchmarks
(`synthetic`).

May import: `trainer.storage` and the domain objects. Never imports study (the two are
independent), decks, accounts, the facade or the CLI.
"""
