"""Answer plus next card over HTTP (`trainer serve`: gunicorn workers) beside the same work in-process.

    python benchmarks/bench_http.py [--cards N] [--requests N] [--seconds S] [--connections C]
                                    [--workers W] [--threads T] [--no-pin]

Prints the in-process median and p99 of `answer_and_next` + the next card's previews (what
POST /api/answer does), the HTTP median and p99 with one keep-alive client, and answers a second,
p99 and errors with C concurrent keep-alive connections on SQLite WAL. Targets: HTTP median
<= 2 ms; >= 500 answers/s, p99 < 150 ms, no errors at 50 connections. It also prints the
server's CPU time per answer in each phase (from /proc; each connection's two setup requests
are counted in), which moves far less than the timings when other work shares the machine, and
on a virtual machine the share of CPU time the hypervisor took (steal) during each phase, which
slows every figure of that phase.

The server runs in its own processes (`trainer serve --workers W --pin-cpus`; --no-pin leaves
the workers free to move between CPUs). The clients speak HTTP/1.1
over raw sockets (the many-connection run on one asyncio loop), so that on a small machine the
load generator takes as little CPU from the server as it can, as wrk would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import orjson
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
    """Milliseconds per answer + next card + its previews through `Collection`, as the API does."""
    times = []
    with Collection.open(url) as col:
        card = col.next_card()
        for _ in range(requests):
            assert card is not None
            start = time.perf_counter()
            _memory, card = col.answer_and_next(
                card.id, Rating.Good, request_id=uuid.uuid4().hex, duration_ms=3000
            )
            assert card is not None
            col.previews(card)
            times.append((time.perf_counter() - start) * 1000)
    return times


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status code and the (lower-cased) headers of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


def request_bytes(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """An HTTP/1.1 keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Client:
    """One keep-alive connection over a raw socket, with its own session cookie and CSRF token."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        _, headers, body = self.exchange(request_bytes("GET", "/api/csrf", {}))
        cookie = SimpleCookie(headers["set-cookie"])
        self.headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": json.loads(body)["csrf_token"],
            "Cookie": "; ".join(f"{k}={m.value}" for k, m in cookie.items()),
        }
        _, _, body = self.exchange(request_bytes("GET", "/api/next", self.headers))
        card = json.loads(body)["card"]
        self.card_id: str | None = card["id"] if card else None

    def exchange(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send `request` and read the whole response."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, headers = parse_head(head)
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self.buffer += self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def _receive(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def answer_request(self) -> bytes:
        """POST /api/answer rating the current card Good, with a fresh request id."""
        body = orjson.dumps({"card_id": self.card_id, "rating": 3, "request_id": uuid.uuid4().hex})
        return request_bytes("POST", "/api/answer", self.headers, body)

    def take_next(self, body: bytes) -> None:
        """Remember the next card from an answer's response."""
        following = orjson.loads(body)["next"]
        self.card_id = following["id"] if following else self.card_id

    def answer(self) -> tuple[float, bool]:
        """Answer the current card; the response carries the next one. (ms, ok)"""
        request = self.answer_request()
        start = time.perf_counter()
        status, _, body = self.exchange(request)
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            return elapsed, False
        self.take_next(body)
        return elapsed, True

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def serve_options(threads: int, workers: int, pin: bool) -> list[str]:
    """The `trainer serve` options the benchmark runs the server with."""
    options = ["--threads", str(threads), "--workers", str(workers)]
    return [*options, "--pin-cpus"] if pin and workers > 1 else options


def start_server(url: str, home: Path, options: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    """`trainer serve` with `options` in its own processes; its log goes to home/serve.log."""
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TRAINER_HOME=str(home))
    command = [sys.executable, "-m", "trainer.cli", "--db", url, "serve", "--no-sync"]
    command += ["--port", str(port), *options]
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


async def _connection_loop(client: Client, stop_at: float, latencies: list[float]) -> tuple[int, int]:
    """Answer on `client`'s connection until `stop_at`; returns (ok, errors)."""
    client.sock.setblocking(False)
    reader, writer = await asyncio.open_connection(sock=client.sock)
    ok = errors = 0
    try:
        while time.perf_counter() < stop_at:
            request = client.answer_request()
            start = time.perf_counter()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status, headers = parse_head(head[:-4])
                body = await reader.readexactly(int(headers.get("content-length", "0")))
            except (OSError, asyncio.IncompleteReadError, ValueError):
                return ok, errors + 1
            latencies.append((time.perf_counter() - start) * 1000)
            if status == 200:
                ok += 1
                client.take_next(body)
            else:
                errors += 1
    finally:
        writer.close()
    return ok, errors


def many_clients(port: int, connections: int, seconds: float) -> tuple[int, int, list[float], float]:
    """(answers, errors, latencies, elapsed seconds) with `connections` clients for `seconds`."""
    clients = [Client(port) for _ in range(connections)]
    latencies: list[float] = []

    async def run() -> list[tuple[int, int]]:
        stop_at = time.perf_counter() + seconds
        return await asyncio.gather(*(_connection_loop(c, stop_at, latencies) for c in clients))

    began = time.perf_counter()
    outcomes = asyncio.run(run())
    elapsed = time.perf_counter() - began
    return sum(o for o, _ in outcomes), sum(e for _, e in outcomes), latencies, elapsed


def cpu_counters() -> tuple[int, int] | None:
    """(steal, total) CPU time of all cores from /proc/stat, or None where there is none."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return None
    values = [int(value) for value in fields]
    return (values[7], sum(values)) if len(values) == 8 else None


def server_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by the server process `pid` and its workers, from
    /proc, or None where there is none. Unlike wall-clock figures it hardly moves with other
    work on the machine, so it shows small differences in the server's own cost per answer."""
    try:
        pids = [str(pid), *Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        ticks = 0
        for each in pids:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime and stime
    except (OSError, IndexError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def per_answer_us(before: float | None, after: float | None, answers: int) -> str:
    """Microseconds of server CPU per answer between two `server_cpu_seconds` readings."""
    if before is None or after is None or answers == 0:
        return "n/a"
    return f"{1e6 * (after - before) / answers:.0f} us"


def steal_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> str:
    """The share of CPU time the hypervisor took between two `cpu_counters` readings."""
    if before is None or after is None or after[1] <= before[1]:
        return "n/a"
    return f"{100 * (after[0] - before[0]) / (after[1] - before[1]):.1f} %"


def main() -> None:
    """Run the three measurements and print them side by side."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="threads per server worker")
    parser.add_argument(
        "--workers", type=int, default=usable_cpus(), help="server processes (default: one per usable CPU)"
    )
    parser.add_argument("--no-pin", action="store_true", help="leave the workers free to move between CPUs")
    args = parser.parse_args()
    options = serve_options(args.threads, args.workers, not args.no_pin)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "decks").mkdir()
        write_decks(root / "decks", args.cards)
        url = f"sqlite:///{root / 'trainer.db'}"
        with Collection.open(url) as col:
            col.sync_decks([root / "decks"])
            col.configure(new_per_day=9999, reviews_per_day=99999)
        marks = [cpu_counters()]
        local = in_process(url, args.requests)
        marks.append(cpu_counters())
        server, port = start_server(url, root / "home", options)
        try:
            marks.append(cpu_counters())
            spent = [server_cpu_seconds(server.pid)]
            single = one_client(port, args.requests)
            marks.append(cpu_counters())
            spent.append(server_cpu_seconds(server.pid))
            answers, errors, latencies, elapsed = many_clients(port, args.connections, args.seconds)
            marks.append(cpu_counters())
            spent.append(server_cpu_seconds(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"cards: {args.cards}, SQLite WAL, trainer serve {' '.join(options)}")
    print(f"{'answer + next card':40} {'median ms':>10} {'p99 ms':>10}")
    for label, samples in (
        ("in-process (Collection, with previews)", local),
        ("HTTP, one keep-alive client", single),
    ):
        print(f"{label:40} {statistics.median(samples):10.3f} {percentile(samples, 0.99):10.3f}")
    ratio = statistics.median(single) / statistics.median(local)
    print(f"HTTP / in-process median: {ratio:.2f}x   (target: HTTP median <= 2 ms)")
    rate = answers / elapsed
    p99 = percentile(latencies, 0.99) if latencies else float("nan")
    print(
        f"{args.connections} connections for {elapsed:.1f} s: {rate:.0f} answers/s, p99 {p99:.1f} ms, "
        f"{errors} errors   (target: >= 500/s, p99 < 150 ms, 0 errors)"
    )
    print(
        f"server CPU per answer: one client {per_answer_us(spent[0], spent[1], args.requests + 50)}, "
        f"{args.connections} connections {per_answer_us(spent[1], spent[2], answers + errors)}"
    )
    print(
        "CPU time taken by the hypervisor (steal): "
        f"in-process {steal_share(marks[0], marks[1])}, one client {steal_share(marks[2], marks[3])}, "
        f"{args.connections} connections {steal_share(marks[3], marks[4])}"
    )


if __name__ == "__main__":
    main()
