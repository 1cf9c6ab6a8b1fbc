"""The socket `trainer serve --workers N` listens on, before gunicorn takes it over."""

from __future__ import annotations

import socket

from web.multiprocess import listening_socket


def test_a_connection_made_before_the_workers_start_has_no_nagle_delay() -> None:
    """A connection takes TCP_NODELAY from the listening socket when its handshake completes, so
    the socket must carry it from the start; otherwise each response's body (written after its
    head) waits for the client's delayed ACK."""
    with listening_socket("127.0.0.1", 0) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET / HTTP/1.1\r\n\r\n")
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
                assert accepted.recv(64).startswith(b"GET /")
