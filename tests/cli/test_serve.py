"""`trainer serve` as a learner runs it: a real process on a real port, one or several workers."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import NOW
from trainer import CardDraft, Collection, Settings
from web.settings_form import form_values

BANNERS: dict[int, list[str]] = {}  # the first lines each server printed, by process id


def start(db: str, home: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    """`trainer serve` in a child process; returns it and the port it announced after naming
    its collection."""
    command = [sys.executable, "-m", "trainer.cli", "--db", db, "serve", "--no-sync", "--port", "0", *args]
    env = dict(os.environ, TRAINER_HOME=str(home), PYTHONUNBUFFERED="1")
    # As from a terminal, where Ctrl+C reaches the program: a shell starts background jobs with
    # SIGINT ignored, and a child started from one would inherit that.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert server.stdout is not None
    lines = [server.stdout.readline() for _ in range(2)]
    BANNERS[server.pid] = lines
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", lines[-1])
    if found is None:
        server.kill()
        pytest.fail(f"no address announced: {lines!r}")
    return server, int(found.group(1))


@pytest.fixture
def synced(tmp_path: Path, decks_dir: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    with Collection.open(url) as col:
        col.sync_decks([decks_dir], now=NOW)
    yield url


def answer_once(port: int) -> int:
    """A learner's tab: fetch a CSRF token and the next card, answer it; returns the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/api/csrf")
        response = connection.getresponse()
        token = json.loads(response.read())["csrf_token"]
        cookie = SimpleCookie(response.headers["Set-Cookie"])
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "Cookie": "; ".join(f"{k}={m.value}" for k, m in cookie.items()),
        }
        connection.request("GET", "/api/next", headers=headers)
        card = json.loads(connection.getresponse().read())["card"]
        body = json.dumps({"card_id": card["id"], "rating": 3, "request_id": card["request_id"]})
        connection.request("POST", "/api/answer", body=body, headers=headers)
        answered = connection.getresponse()
        answered.read()
        return answered.status
    finally:
        connection.close()


def children_of(pid: int, expected: int) -> list[int]:
    """The child processes of `pid`, waiting up to 30 s for `expected` of them."""
    deadline = time.monotonic() + 30
    while True:
        found = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def stop(server: subprocess.Popen[str], signum: int = signal.SIGTERM) -> int:
    """Signal the server and return its exit status once it has stopped."""
    server.send_signal(signum)
    try:
        return server.wait(timeout=30)
    finally:
        assert server.stdout is not None
        server.stdout.close()


def test_one_worker_serves_the_today_page_and_answers(synced: str, tmp_path: Path) -> None:
    server, port = start(synced, tmp_path / "home")
    assert BANNERS[server.pid][0].strip() == f"Collection: {(tmp_path / 'serve.db').resolve()}"
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/")
        page = connection.getresponse()
        assert page.status == 200 and b"Today" in page.read()
        connection.close()
        assert answer_once(port) == 200
    finally:
        code = stop(server, signal.SIGINT)
    assert code == 0
    with Collection.open(synced) as col:
        assert len(col.history()) == 1


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker processes from /proc")
def test_two_workers_share_the_port_and_stop_together(synced: str, tmp_path: Path) -> None:
    server, port = start(synced, tmp_path / "home", "--workers", "2", "--threads", "2")
    try:
        workers = children_of(server.pid, 2)
        assert len(workers) == 2
        statuses = [answer_once(port) for _ in range(12)]
        assert statuses == [200] * 12
    finally:
        code = stop(server)
    assert code == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    with Collection.open(synced) as col:
        assert len(col.history()) == 12


def _holder(connection: http.client.HTTPConnection, port: int, workers: list[int]) -> int | None:
    """The worker process holding the server's end of `connection` (one request answered on it):
    the socket from `port` to the connection's own port in /proc/net/tcp, found among the
    workers' open files."""
    assert connection.sock is not None
    client = connection.sock.getsockname()[1]
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and int(fields[2].split(":")[1], 16) == client:
            inodes.add(f"socket:[{fields[9]}]")
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in inodes:
                    return pid
    return None


def _get_json(connection: http.client.HTTPConnection, path: str) -> Any:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    return json.loads(body)


def _save_settings(connection: http.client.HTTPConnection, **changes: str) -> None:
    """Submit the Settings page over `connection` (so through the worker holding it): the
    current settings with `changes`."""
    connection.request("GET", "/api/csrf")
    response = connection.getresponse()
    token = json.loads(response.read())["csrf_token"]
    cookie = SimpleCookie(response.headers["Set-Cookie"])
    connection.request("GET", "/settings", headers={"Cookie": _cookies(cookie)})
    page = connection.getresponse().read().decode()
    assert 'name="new_per_day"' in page
    form = {name: value for name, value in form_values(Settings()).items() if value}
    form.update(changes)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": token,
        "Cookie": _cookies(cookie),
    }
    connection.request("POST", "/settings", body=urlencode(form), headers=headers)
    saved = connection.getresponse()
    body = saved.read()
    assert saved.status == 303, body


def _cookies(cookie: SimpleCookie) -> str:
    return "; ".join(f"{k}={m.value}" for k, m in cookie.items())


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads worker processes from /proc")
def test_every_worker_serves_a_card_and_a_limit_changed_by_another_process(
    db_url: str, decks_dir: Path, tmp_path: Path
) -> None:
    """A learner's first card of their own (a new deck) saved while the workers run is counted
    and served by each of them, over connections kept open to each worker before the save; so is
    a daily limit then changed on the Settings page through one of the workers."""
    with Collection.open(db_url) as col:
        col.sync_decks([decks_dir], now=NOW)
    server, port = start(db_url, tmp_path / "home", "--workers", "2", "--threads", "1")
    connections: list[http.client.HTTPConnection] = []
    try:
        workers = children_of(server.pid, 2)
        assert len(workers) == 2
        # A kept-alive connection stays with the worker that accepted it: open connections until
        # each worker holds one, each having read its deck list and settings.
        holders: set[int | None] = set()
        while not holders >= set(workers) and len(connections) < 40:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connections.append(connection)
            assert list(_get_json(connection, "/api/today")["domains"]) == ["alpha", "beta"]
            holders.add(_holder(connection, port, workers))
        assert holders >= set(workers), "a worker took no connection"
        with Collection.open(db_url) as col:
            draft = CardDraft.from_text("fact", prompt="Mine?", answer="Yes.", concepts="class-imbalance")
            (added,) = col.save_card(draft, folder=tmp_path / "data", now=NOW)
        for connection in connections:
            assert list(_get_json(connection, "/api/today")["domains"]) == ["alpha", "beta", "my-cards"]
            assert _get_json(connection, "/api/next?domain=my-cards")["card"]["id"] == added
            assert _get_json(connection, "/api/today")["new"] > 1
        _save_settings(connections[0], new_per_day="1")
        for connection in connections:
            assert _get_json(connection, "/api/today")["new"] == 1
    finally:
        for connection in connections:
            connection.close()
        stop(server)


def test_workers_report_a_port_already_in_use(synced: str, tmp_path: Path) -> None:
    server, port = start(synced, tmp_path / "home", "--workers", "2")
    try:
        command = [sys.executable, "-m", "trainer.cli", "--db", synced, "serve", "--no-sync"]
        command += ["--port", str(port), "--workers", "2"]
        env = dict(os.environ, TRAINER_HOME=str(tmp_path / "home2"))
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    finally:
        stop(server)


def test_ctrl_c_stops_every_worker(synced: str, tmp_path: Path) -> None:
    """Ctrl+C in a terminal interrupts the whole process group: parent and workers."""
    server, port = start(synced, tmp_path / "home", "--workers", "2")
    workers = children_of(server.pid, 2)
    assert answer_once(port) == 200
    os.killpg(server.pid, signal.SIGINT)
    try:
        assert server.wait(timeout=30) == 0
    finally:
        assert server.stdout is not None
        server.stdout.close()
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists()


def test_a_database_the_workers_cannot_reach_stops_the_command_with_its_reason(tmp_path: Path) -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    command = [sys.executable, "-m", "trainer.cli", "--db", unreachable, "serve", "--no-sync"]
    command += ["--port", "0", "--workers", "2"]
    env = dict(os.environ, TRAINER_HOME=str(tmp_path / "home"))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "database error" in done.stderr and "Traceback" not in done.stderr


def _affinities(pids: list[int]) -> list[set[int]]:
    """The CPUs each of `pids` may run on, once each has narrowed them (waits up to 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        found = [os.sched_getaffinity(pid) for pid in pids]
        if all(len(cpus) == 1 for cpus in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is a Linux feature")
def test_pinned_workers_each_keep_to_one_cpu_in_turn(synced: str, tmp_path: Path) -> None:
    allowed = sorted(os.sched_getaffinity(0))
    server, port = start(synced, tmp_path / "home", "--workers", "3", "--threads", "1", "--pin-cpus")
    try:
        workers = children_of(server.pid, 3)
        assert sorted(_affinities(workers), key=min) == sorted(
            ({allowed[i % len(allowed)]} for i in range(3)), key=min
        )
        assert [answer_once(port) for _ in range(6)] == [200] * 6
    finally:
        code = stop(server)
    assert code == 0


def test_pinning_without_workers_is_refused(synced: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "trainer.cli", "--db", synced, "serve", "--no-sync", "--pin-cpus"]
    done = subprocess.run(
        command, env=dict(os.environ, TRAINER_HOME=str(tmp_path)), capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "--pin-cpus needs --workers 2 or more" in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_workers_stopped_while_starting_exit_cleanly(
    synced: str, tmp_path: Path, signum: signal.Signals
) -> None:
    """SIGTERM (a service manager's stop) or SIGINT (`kill -INT`, Ctrl+C sent to the server
    alone) right after start reaches workers still building their app; each stops without an
    error, well before gunicorn's 30-second graceful timeout, and the command exits 0."""
    server, _port = start(synced, tmp_path / "home", "--workers", "3", "--threads", "1")
    children_of(server.pid, 1)
    server.send_signal(signum)
    assert server.wait(timeout=20) == 0
    assert server.stdout is not None
    rest = server.stdout.read()
    server.stdout.close()
    assert "stopped" not in rest and "error" not in rest, rest


def test_workers_without_gunicorn_say_how_to_install_it(synced: str, tmp_path: Path) -> None:
    """Where gunicorn cannot be imported, --workers stops with one line naming the extra."""
    blocker = tmp_path / "blocked" / "gunicorn"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('gunicorn is not installed')\n")
    path = os.pathsep.join(filter(None, [str(blocker.parent), os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "trainer.cli", "--db", synced, "serve", "--no-sync", "--port", "0"]
    env = dict(os.environ, TRAINER_HOME=str(tmp_path / "home"), PYTHONPATH=path)
    done = subprocess.run([*command, "--workers", "2"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "pip install 'ml-interview-trainer[server]'" in done.stderr
    assert "Traceback" not in done.stderr
