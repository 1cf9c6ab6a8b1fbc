"""Several waitress processes serving one port, so that answering uses every core.

One Python process runs one request at a time however many threads it has; a second process
doubles what the machine can answer. Each worker builds its own app (its own database
connections) after the fork. SQLite writers of different workers queue on the database's
writer lock file (`trainer.storage.database.WriterLock`); PostgreSQL orders them itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

from flask import Flask
from waitress import create_server


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` (0 picks a free port) that the workers can share.

    It is bound with SO_REUSEPORT but never listens: each worker listens on a socket of its
    own bound to the same port, and the kernel spreads new connections evenly across them
    (one socket accepted from by every worker hands most connections to whichever is idle
    first). Raises OSError if the port is taken. Only processes of the same user can join a
    SO_REUSEPORT port.
    """
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Bound before SO_REUSEPORT is set, so the bind fails if anything holds the port, even
        # another trainer with workers of its own; the workers' sockets may join it afterwards.
        sock.bind((host.strip("[]"), port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except OSError:
        sock.close()
        raise
    return sock


def worker_socket(host: str, port: int) -> socket.socket:
    """A worker's own listening socket on the reserved `port`."""
    return socket.create_server((host.strip("[]"), port), family=_family(host), backlog=1024, reuse_port=True)


def serve_one(app: Flask, sock: socket.socket, threads: int) -> None:
    """Serve `app` with waitress on the listening `sock` until interrupted or terminated (a
    worker's SIGTERM handler, `_stop_worker`, ends it with SystemExit)."""
    # Requests waiting for a busy thread are the normal case when many keep-alive connections
    # share few threads; waitress would log a warning for each one, on every request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = create_server(app, sockets=[sock], threads=threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def serve_workers(
    make_app: Callable[[], Flask],
    close_app: Callable[[Flask], Any],
    reserved: socket.socket,
    *,
    workers: int,
    threads: int,
    pin_cpus: bool = False,
) -> int:
    """Fork `workers` processes that each build an app with `make_app` and serve it on their own
    socket bound to the port of `reserved` (see `reserve_port`). With `pin_cpus`, worker i runs
    only on the i-th of the CPUs this process may use (in turn; see `cpu_for_worker`).

    Returns when they have all stopped: after Ctrl+C or SIGTERM (passed on to every worker), or
    when one worker dies, which stops the others. Returns the exit status for the command.
    """
    if not hasattr(os, "fork"):
        raise RuntimeError("more than one worker process needs a platform with fork()")
    host, port = reserved.getsockname()[:2]
    cpus = sorted(os.sched_getaffinity(0)) if pin_cpus else []
    children: list[int] = []

    def pass_on(_signum: int, _frame: FrameType | None) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, pass_on)  # before the first fork: none is missed
    try:
        for index in range(workers):
            # Held back across the fork, so a SIGTERM reaches a new worker only once its own
            # handler is in place; it then stops cleanly even while the worker is starting.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
            try:
                pid = os.fork()
                if pid == 0:
                    signal.signal(signal.SIGTERM, _stop_worker)
                    cpu = cpu_for_worker(cpus, index) if cpus else None
                    _run_worker(make_app, close_app, reserved, host, port, threads, cpu)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            children.append(pid)
        return _wait_for(children, pass_on)
    finally:
        signal.signal(signal.SIGTERM, previous)
        reserved.close()


def can_pin_cpus() -> bool:
    """Whether this platform lets a process choose its CPUs (Linux)."""
    return hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity")


def cpu_for_worker(cpus: list[int], index: int) -> int:
    """The CPU worker `index` is kept on: the allowed `cpus` in turn.

    A worker's waitress threads hand every request from one to the other (the accepting loop
    and the thread running the app); on one CPU that hand-over is a plain context switch,
    while across CPUs each is a wake-up of another core, which costs most on virtual machines.
    """
    return cpus[index % len(cpus)]


def _stop_worker(_signum: int, _frame: FrameType | None) -> NoReturn:
    raise SystemExit(0)


def _run_worker(
    make_app: Callable[[], Flask],
    close_app: Callable[[Flask], Any],
    reserved: socket.socket,
    host: str,
    port: int,
    threads: int,
    cpu: int | None,
) -> NoReturn:
    status = 0
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        reserved.close()
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        sock = worker_socket(host, port)
        app = make_app()
        try:
            serve_one(app, sock, threads)
        finally:
            close_app(app)
    except BaseException as exc:  # report, never return into the parent's code
        if not isinstance(exc, SystemExit | KeyboardInterrupt):
            print(f"worker {os.getpid()} stopped: {exc!r}", file=sys.stderr)
            status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _wait_for(children: list[int], stop_all: Callable[[int, FrameType | None], None]) -> int:
    """Reap the workers; when one ends, stop the rest. 1 if any failed, else 0."""
    status = 0
    while children:
        try:
            pid, code = os.wait()
        except KeyboardInterrupt:  # the terminal sent Ctrl+C to the workers too
            stop_all(signal.SIGINT, None)
            continue
        except ChildProcessError:
            break
        if pid in children:
            children.remove(pid)
            if os.waitstatus_to_exitcode(code) != 0:
                status = 1
            stop_all(signal.SIGTERM, None)
    return status
