"""Study-group load: 50 learners answering cards over HTTP against PostgreSQL, several workers.

    python benchmarks/bench_load.py [--db URL] [--seconds 60 | --quick] [--learners 50]
                                    [--workers 4] [--threads 8] [--cards 1000]

The database is the PostgreSQL at --db, else $TRAINER_TEST_POSTGRES_URL with "_load" appended to
its database name (created if missing, so the test database is never touched). It is WIPED:
its public schema is dropped and rebuilt. Loopback only: the database host and the server are
on this machine. The server is gunicorn (`pip install '.[server]'`) with --workers processes
of --threads threads each, running `web.deploy:app_from_env()` with accounts on; every
simulated learner logs in to their own account and answers Good in a loop for --seconds.

Prints throughput, median and p99 latency of answer (+ next card in the same response) and the
error count; then checks that every acknowledged answer is in the review log under its learner,
and that every card state equals the replay of its review log (`trainer.check`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_http import free_port, percentile, write_decks

from trainer import Collection
from trainer.accounts.users import Accounts
from trainer.check import check_database
from trainer.storage.store import logs

PASSWORD = "violet tractor quantum lemon"
LOOPBACK = {"127.0.0.1", "localhost", "::1", None, ""}


def bench_url(given: str | None) -> str:
    """The database to use: --db, or the test server's URL with "_load" added to its name."""
    if given:
        return given
    test_url = os.environ.get("TRAINER_TEST_POSTGRES_URL")
    if not test_url:
        raise SystemExit("give --db URL or set TRAINER_TEST_POSTGRES_URL (a PostgreSQL on this machine)")
    parsed = make_url(test_url)
    return parsed.set(database=f"{parsed.database}_load").render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """Create the database if needed and empty its public schema. Refuses a non-local server."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.host not in LOOPBACK:
        raise SystemExit(f"refusing {parsed.render_as_string()}: a PostgreSQL on loopback only")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if exists.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(url: str, decks: Path, learners: int, cards: int) -> list[str]:
    """Schema, a deck of `cards` cards, and `learners` accounts that may take every card today."""
    write_decks(decks, cards)
    names = [f"learner-{i:02d}" for i in range(learners)]
    with Collection.open(url) as col:
        col.sync_decks([decks])
        accounts = Accounts(col.engine)
        for name in names:
            account = accounts.create(name, PASSWORD)
            Collection(col.engine, account.id, name).configure(new_per_day=9999, reviews_per_day=9999)
    return names


def start_gunicorn(url: str, home: Path, workers: int, threads: int, decks: Path) -> tuple[Any, int]:
    """gunicorn on loopback with `workers` processes; its log goes to home/gunicorn.log."""
    port = free_port()
    env = dict(
        os.environ,
        TRAINER_DATABASE_URL=url,
        TRAINER_DATA_DIR=str(home),
        TRAINER_SECRET_KEY=secrets.token_hex(32),
        TRAINER_DECKS=str(decks),
    )
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread"]
    command += ["--threads", str(threads), "--keep-alive", "75", "-b", f"127.0.0.1:{port}"]
    command.append("web.deploy:app_from_env()")
    with open(home / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/login")
            ok = probe.getresponse().status == 200
            probe.close()
            if ok:
                return server, port
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"gunicorn did not start; see {home / 'gunicorn.log'}")


class Learner:
    """One simulated learner: a keep-alive connection, logged in to their own account."""

    def __init__(self, port: int, name: str):
        self.name = name
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        token = self._csrf()
        form = urlencode({"csrf_token": token, "name": name, "password": PASSWORD})
        status, _ = self._send("POST", "/login", form, "application/x-www-form-urlencoded", token)
        if status != 303:
            raise RuntimeError(f"{name} could not log in ({status})")
        self.token = self._csrf()
        self.card_id: str | None = None
        status, body = self._send("GET", "/api/next")
        self.card_id = json.loads(body)["card"]["id"]
        self.acknowledged: list[tuple[str, str]] = []
        self.failures: list[str] = []

    def _send(
        self, method: str, path: str, body: str | None = None, kind: str | None = None, token: str = ""
    ) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if kind:
            headers["Content-Type"] = kind
        if token:
            headers["X-CSRFToken"] = token
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return response.status, data

    def reconnect(self) -> None:
        """A new connection after a broken one; the session cookie carries on."""
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _csrf(self) -> str:
        return str(json.loads(self._send("GET", "/api/csrf")[1])["csrf_token"])

    def answer(self) -> tuple[float, bool]:
        """Answer the current card Good; the response carries the next one. (ms, ok)"""
        request_id = uuid.uuid4().hex
        body = json.dumps({"card_id": self.card_id, "rating": 3, "request_id": request_id})
        start = time.perf_counter()
        status, data = self._send("POST", "/api/answer", body, "application/json", self.token)
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            if len(self.failures) < 3:
                self.failures.append(f"{status} {data[:200]!r}")
            return elapsed, False
        self.acknowledged.append((request_id, str(self.card_id)))
        following = json.loads(data)["next"]
        self.card_id = following["id"] if following else self.card_id
        return elapsed, True


def drive(learners: list[Learner], seconds: float) -> tuple[int, int, list[float], float]:
    """(answers, errors, latencies in ms, elapsed s) with every learner answering for `seconds`."""
    latencies: list[float] = []
    failures: list[str] = []
    totals = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    start_line = threading.Barrier(len(learners) + 1)
    stop_at = [0.0]

    def run(learner: Learner) -> None:
        mine: list[float] = []
        ok = errors = 0
        start_line.wait()
        while time.perf_counter() < stop_at[0]:
            try:
                elapsed, good = learner.answer()
            except (OSError, http.client.HTTPException) as exc:
                errors += 1
                with lock:
                    if len(failures) < 5:
                        failures.append(repr(exc))
                learner.reconnect()
                continue
            mine.append(elapsed)
            ok, errors = (ok + 1, errors) if good else (ok, errors + 1)
        with lock:
            latencies.extend(mine)
            totals["ok"] += ok
            totals["errors"] += errors

    threads = [threading.Thread(target=run, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start_line.wait()
    for thread in threads:
        thread.join()
    for failure in failures:
        print(f"error: {failure}")
    return totals["ok"], totals["errors"], latencies, time.perf_counter() - began


def verify(url: str, learners: list[Learner]) -> dict[str, Any]:
    """Every acknowledged answer logged under its learner; every state equal to its log's replay."""
    engine = create_engine(url)
    accounts = {a.name: a.id for a in Accounts(engine).list()}
    with engine.connect() as conn:
        logged = set(conn.execute(select(logs.c.learner_id, logs.c.request_id, logs.c.card_id)))
    acknowledged = {
        (accounts[learner.name], request_id, card_id)
        for learner in learners
        for request_id, card_id in learner.acknowledged
    }
    report = check_database(engine)
    engine.dispose()
    return {
        "acknowledged": len(acknowledged),
        "missing_from_log": len(acknowledged - logged),
        "logged_not_acknowledged": len(logged - acknowledged),
        "check_problems": len(report.problems),
        "check_ok": report.ok,
    }


def main(quick: bool = False, argv: list[str] | None = None) -> dict[str, Any]:
    """Run the load test and print its figures; returns them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="PostgreSQL URL on loopback (wiped)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="run for 10 seconds")
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--cards", type=int, default=1000)
    args = parser.parse_args(argv if argv is not None else [])
    seconds = 10.0 if quick or args.quick else args.seconds
    url = bench_url(args.db)
    reset_database(url)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        decks = home / "decks"
        decks.mkdir()
        started = time.perf_counter()
        names = prepare(url, decks, args.learners, args.cards)
        took = time.perf_counter() - started
        print(f"prepared {args.learners} accounts and {args.cards} cards in {took:.1f} s")
        server, port = start_gunicorn(url, home, args.workers, args.threads, decks)
        try:
            learners = [Learner(port, name) for name in names]
            answers, errors, latencies, elapsed = drive(learners, seconds)
            for learner in learners:
                learner.connection.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures: dict[str, Any] = {
        "learners": args.learners,
        "workers": args.workers,
        "threads_per_worker": args.threads,
        "seconds": round(elapsed, 1),
        "answers": answers,
        "answers_per_second": round(answers / elapsed, 1),
        "median_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "errors": errors,
    }
    figures.update(verify(url, learners))
    print(f"{args.learners} learners, gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL")
    print(
        f"{answers} answers in {elapsed:.1f} s: {figures['answers_per_second']} answers/s, "
        f"median {figures['median_ms']} ms, p99 {figures['p99_ms']} ms, {errors} errors"
    )
    print(
        f"acknowledged {figures['acknowledged']}: {figures['missing_from_log']} missing from the log, "
        f"{figures['logged_not_acknowledged']} logged but not acknowledged; "
        f"trainer check: {'ok' if figures['check_ok'] else str(figures['check_problems']) + ' problems'}"
    )
    return figures


if __name__ == "__main__":
    main(argv=sys.argv[1:])
