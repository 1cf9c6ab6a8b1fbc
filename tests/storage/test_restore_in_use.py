"""`trainer restore` refuses while another process (a running server) has the collection open."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import NOW
from trainer import Collection, Rating
from trainer.cli import cli

HOLDER = """
import sys, time
from trainer import Collection
col = Collection.open(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_restore_refuses_while_another_process_has_the_collection_open(
    sqlite_url: str, decks_dir: Path, tmp_path: Path
) -> None:
    with Collection.open(sqlite_url) as col:
        col.sync_decks([decks_dir], now=NOW)
    made = CliRunner().invoke(cli, ["--db", sqlite_url, "backup"])
    saved = Path(made.output.strip().removeprefix("Backed up to "))
    with Collection.open(sqlite_url) as col:
        col.answer("a-fact", Rating.Good, NOW)
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), sqlite_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        refused = subprocess.run(
            [sys.executable, "-m", "trainer.cli", "--db", sqlite_url, "restore", str(saved)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert refused.returncode == 1
    # The holder is named by its program and arguments, the way it was started.
    assert f"in use by process {holder.pid} (holder.py {sqlite_url})" in refused.stderr
    assert "stop it before restoring" in refused.stderr and "Traceback" not in refused.stderr
    with Collection.open(sqlite_url) as col:
        assert [e.card_id for e in col.history()] == ["a-fact"]
    # Once the other process has gone, the restore goes ahead and keeps the replaced database.
    done = CliRunner().invoke(cli, ["--db", sqlite_url, "restore", str(saved)])
    assert done.exit_code == 0, done.output
    assert "The database as it was is kept in" in done.output
    with Collection.open(sqlite_url) as col:
        assert col.history() == []
