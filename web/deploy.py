"""The WSGI entry point for a study-group server with several worker processes:

    gunicorn -w 4 'web.deploy:app_from_env()'

Configured from the environment (see `trainer.accounts.serving.config_from_env`); accounts are always on.
"""

from __future__ import annotations

from flask import Flask

from trainer.accounts.serving import config_from_env

from . import create_app


def app_from_env() -> Flask:
    """A study-group app configured from TRAINER_* environment variables."""
    return create_app(config_from_env())
