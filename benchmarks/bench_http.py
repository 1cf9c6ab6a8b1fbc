"""Answer plus next card over HTTP (waitress) beside the same work in-process, in one run.

    python benchmarks/bench_http.py [--cards N] [--requests N] [--seconds S] [--connections C]

Prints the in-process median and p99 of `answer` + `next_card`, the HTTP median and p99 with
one keep-alive client, and answers a second, p99 and errors with C concurrent connections on
SQLite WAL. Targets: HTTP median <= 2 ms; >= 500 answers/s, p99 < 150 ms, no errors at 50.
The server runs in its own process (`trainer serve`), so clients and server do not share a GIL.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import yaml

from trainer import Collection, Rating


def write_decks(folder: Path, count: int) -> None:
    """A concept file and one deck of `count` fact cards."""
    (folder / "concepts.yaml").write_text(
        yaml.safe_dump({"concepts": [{"id": "class-imbalance", "description": "Rare positives."}]})
    )
    cards = [
        {
            "id": f"bench-{i}",
            "kind": "fact",
            "prompt": f"Question {i}: why is *accuracy* misleading at 0.1% fraud?",
            "answer": "Because a model that never flags fraud is 99.9% accurate.",
            "concepts": ["class-imbalance"],
        }
        for i in range(count)
    ]
    (folder / "bench.yaml").write_text(
        yaml.safe_dump({"deck": "bench", "title": "Bench", "description": "Benchmark.", "cards": cards})
    )


def percentile(samples: list[float], share: float) -> float:
    """The `share` quantile of `samples` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def in_process(url: str, requests: int) -> list[float]:
    """Milliseconds per answer + next card through `Collection`, the way the API handler does it."""
    times = []
    with Collection.open(url) as col:
        card = col.next_card()
        for _ in range(requests):
            assert card is not None
            start = time.perf_counter()
            col.answer(card.id, Rating.Good, request_id=uuid.uuid4().hex, duration_ms=3000)
            card = col.next_card()
            times.append((time.perf_counter() - start) * 1000)
    return times


class Client:
    """One keep-alive HTTP connection with its own session cookie and CSRF token."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.connection.request("GET", "/api/csrf")
        response = self.connection.getresponse()
        token = json.loads(response.read())["csrf_token"]
        cookie = SimpleCookie(response.headers["Set-Cookie"])
        self.headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "Cookie": "; ".join(f"{k}={m.value}" for k, m in cookie.items()),
        }
        self.card_id: str | None = self.next_card()

    def next_card(self) -> str | None:
        """The id of the next due card, or None."""
        self.connection.request("GET", "/api/next", headers=self.headers)
        card = json.loads(self.connection.getresponse().read())["card"]
        return card["id"] if card else None

    def answer(self) -> tuple[float, bool]:
        """Answer the current card Good; the response carries the next one. (ms, ok)"""
        body = json.dumps({"card_id": self.card_id, "rating": 3, "request_id": uuid.uuid4().hex})
        start = time.perf_counter()
        self.connection.request("POST", "/api/answer", body=body, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            return elapsed, False
        following = json.loads(data)["next"]
        self.card_id = following["id"] if following else self.card_id
        return elapsed, True

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(url: str, home: Path, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """`trainer serve` in its own process; its log (waitress queue warnings) goes to home/serve.log."""
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TRAINER_HOME=str(home))
    command = [sys.executable, "-m", "trainer.cli", "--db", url, "serve", "--no-sync"]
    command += ["--port", str(port), "--threads", str(threads)]
    with open(home / "serve.log", "wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def one_client(port: int, requests: int) -> list[float]:
    """Milliseconds per answer (with the next card in the response), one client, after a warm-up."""
    client = Client(port)
    try:
        for _ in range(50):
            client.answer()
        return [client.answer()[0] for _ in range(requests)]
    finally:
        client.close()


def many_clients(port: int, connections: int, seconds: float) -> tuple[int, int, list[float], float]:
    """(answers, errors, latencies, elapsed seconds) with `connections` clients for `seconds`."""
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    clients = [Client(port) for _ in range(connections)]
    start_line = threading.Barrier(connections + 1)
    stop_at = [0.0]

    def run(client: Client) -> None:
        mine: list[float] = []
        ok = errors = 0
        start_line.wait()
        while time.perf_counter() < stop_at[0]:
            try:
                elapsed, good = client.answer()
            except (OSError, http.client.HTTPException):
                errors += 1
                continue
            mine.append(elapsed)
            ok, errors = (ok + 1, errors) if good else (ok, errors + 1)
        with lock:
            latencies.extend(mine)
            counts["ok"] += ok
            counts["errors"] += errors

    workers = [threading.Thread(target=run, args=(c,)) for c in clients]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start_line.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    for client in clients:
        client.close()
    return counts["ok"], counts["errors"], latencies, elapsed


def main() -> None:
    """Run the three measurements and print them side by side."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "decks").mkdir()
        write_decks(root / "decks", args.cards)
        url = f"sqlite:///{root / 'trainer.db'}"
        with Collection.open(url) as col:
            col.sync_decks([root / "decks"])
            col.configure(new_per_day=9999, reviews_per_day=99999)
        local = in_process(url, args.requests)
        server, port = start_server(url, root / "home", args.threads)
        try:
            single = one_client(port, args.requests)
            answers, errors, latencies, elapsed = many_clients(port, args.connections, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"cards: {args.cards}, SQLite WAL, waitress threads: {args.threads}")
    print(f"{'answer + next card':40} {'median ms':>10} {'p99 ms':>10}")
    for label, samples in (("in-process (Collection)", local), ("HTTP, one keep-alive client", single)):
        print(f"{label:40} {statistics.median(samples):10.3f} {percentile(samples, 0.99):10.3f}")
    ratio = statistics.median(single) / statistics.median(local)
    print(f"HTTP / in-process median: {ratio:.2f}x   (target: HTTP median <= 2 ms)")
    rate = answers / elapsed
    p99 = percentile(latencies, 0.99) if latencies else float("nan")
    print(
        f"{args.connections} connections for {elapsed:.1f} s: {rate:.0f} answers/s, p99 {p99:.1f} ms, "
        f"{errors} errors   (target: >= 500/s, p99 < 150 ms, 0 errors)"
    )


if __name__ == "__main__":
    main()
