"""Settings saved on the Settings page of one app (one worker process of the server) are used by
another app on the same database from its next request, with accounts and without, also when
two saves carry the same time (the app's clock stands still here)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.support import Clock, collection_of, csrf_token, web_app
from tests.web.test_sessions import ALICE, log_in
from trainer import Settings
from trainer.accounts.users import Accounts
from web.settings_form import form_values


def _save_limit(client: FlaskClient, new_per_day: int) -> None:
    form = {name: value for name, value in form_values(Settings()).items() if value}
    form.update(csrf_token=csrf_token(client), new_per_day=str(new_per_day))
    assert client.post("/settings", data=form).status_code == 303


@pytest.mark.parametrize("accounts", [False, True], ids=["alone", "accounts"])
def test_a_limit_saved_through_one_app_is_served_by_another(
    accounts: bool, db_url: str, decks_dir: Path, tmp_path: Path, clock: Clock
) -> None:
    with ExitStack() as stack:
        apps = [
            stack.enter_context(web_app(db_url, decks_dir, tmp_path / "data", clock, ACCOUNTS=accounts))
            for _ in range(2)
        ]
        if accounts:
            Accounts(collection_of(apps[0]).engine).create(*ALICE, now=NOW)
        here, there = (app.test_client() for app in apps)
        for client in (here, there):
            if accounts:
                assert log_in(client, *ALICE) == 303
            assert client.get("/api/today").get_json()["new"] > 2
        for limit in (1, 2):
            _save_limit(here, limit)
            assert there.get("/api/today").get_json()["new"] == limit
