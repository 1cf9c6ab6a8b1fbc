"""Several worker processes on one port with gunicorn's threaded workers (`trainer serve --workers N`).

Each worker builds its own app, with its own database connections, after the fork. SQLite
writers of different workers queue on the database's writer lock file
(`trainer.storage.database.WriterLock`); PostgreSQL orders them itself.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask

try:
    from gunicorn.app.base import BaseApplication
except ImportError:  # the `server` extra is not installed
    BaseApplication = None


class GunicornMissing(RuntimeError):
    """gunicorn is not installed, or the platform cannot run it (it needs fork)."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port` (0 picks a free port), for the workers to share, whose
    every connection has TCP_NODELAY, including those made before the workers start.

    Raises OSError if the address cannot be used (the port is taken, say).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # A connection takes its options from the listening socket when its handshake completes,
        # not when it is accepted. gunicorn sets TCP_NODELAY on this socket only once its master
        # has started, so a client that connects sooner would keep Nagle's algorithm for good:
        # gunicorn writes a response's head and body in two sends, and the body would wait for
        # the client's delayed ACK (about 40 ms) on every request of that connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def cpu_for_worker(cpus: list[int], index: int) -> int:
    """The CPU worker `index` is kept on with --pin-cpus: the allowed `cpus` in turn.

    Each request passes between a worker's threads (the one polling connections and the one
    running the app); on one CPU that is a plain context switch, across CPUs a wake-up of
    another core, which costs most on small virtual machines.
    """
    return cpus[index % len(cpus)]


def _exit_now(_signum: int, _frame: Any) -> None:
    os._exit(0)


def can_pin_cpus() -> bool:
    """Whether this platform lets a process choose its CPUs (Linux)."""
    return hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity")


def serve_with_gunicorn(
    make_app: Callable[[], Flask],
    close_app: Callable[[Flask], Any],
    sock: socket.socket,
    *,
    workers: int,
    threads: int,
    pin_cpus: bool = False,
) -> None:
    """Run gunicorn's arbiter with `workers` gthread workers of `threads` threads on `sock` until
    Ctrl+C or SIGTERM. Each worker builds its app with `make_app` and closes it with `close_app`
    on the way out. Raises `GunicornMissing` without gunicorn; gunicorn's SystemExit (non-zero
    when a worker could not boot) is passed on.
    """
    if BaseApplication is None or not hasattr(os, "fork"):
        raise GunicornMissing(
            "--workers needs gunicorn on a platform with fork(): pip install 'ml-interview-trainer[server]'"
        )
    cpus = sorted(os.sched_getaffinity(0)) if pin_cpus else []
    apps: list[Flask] = []

    def build() -> Flask:
        app = make_app()
        apps.append(app)
        return app

    def post_fork(_server: Any, worker: Any) -> None:
        # Until the worker installs its own handlers it runs the master's, which only queue a
        # SIGTERM for the master's loop; a worker stopped while starting would then run on
        # until the graceful timeout kills it.
        signal.signal(signal.SIGTERM, _exit_now)
        if cpus:
            os.sched_setaffinity(0, {cpu_for_worker(cpus, worker.age - 1)})

    def worker_exit(_server: Any, _worker: Any) -> None:
        for app in apps:
            close_app(app)
        # With its app closed the worker has nothing left to do; finalising the interpreter
        # (freeing every module's objects) would hold the master's shutdown back for seconds.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    options = {
        # gunicorn closes the descriptor it is given when it stops: give it its own copy.
        "bind": [f"fd://{os.dup(sock.fileno())}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": 75,
        # A worker still busy when the server stops gets this long before it is killed; an answer
        # takes milliseconds, and a killed transaction is rolled back, so Ctrl+C need not wait
        # gunicorn's default 30 seconds for a worker held up (one still importing, say).
        "graceful_timeout": 10,
        "loglevel": "warning",
        # gunicorn's control socket lives in the home folder, shared by every server of the
        # user, and its shutdown holds the master back for seconds; nothing here uses it.
        "control_socket_disable": True,
        "accesslog": None,
        # The app alone decides what to believe of X-Forwarded-* (PROXY_FIX, from --proxies):
        # by default gunicorn takes X-Forwarded-Proto from any loopback peer as https.
        "forwarded_allow_ips": "",
        "post_fork": post_fork,
        "worker_exit": worker_exit,
    }
    _TrainerApplication(build, options).run()


if BaseApplication is not None:

    class _TrainerApplication(BaseApplication):  # type: ignore[misc,valid-type]
        """gunicorn's application interface over the trainer's app factory."""

        def __init__(self, build: Callable[[], Flask], options: dict[str, Any]):
            self._build = build
            self._options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self._options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return self._build()
