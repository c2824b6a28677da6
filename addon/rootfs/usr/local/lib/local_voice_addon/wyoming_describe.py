"""Ask a Wyoming server ``describe`` and wait for its ``info``: the add-on's health check.

Docker's ``HEALTHCHECK`` and the discovery oneshot both run this. It uses the
standard library only, so it works whatever the project's own code is doing,
and it checks the real protocol: an open port is not a working server.

``python3 wyoming_describe.py PORT [PORT ...]`` exits 0 when every port
answers ``info`` within the timeout, else 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from typing import Any, Final

MAX_LINE: Final = 64 * 1024
MAX_DATA: Final = 1024 * 1024


class DescribeError(RuntimeError):
    """The server did not answer ``describe`` with a well-formed ``info``."""


def _read_exact(sock_file: Any, size: int) -> bytes:
    data: bytes = sock_file.read(size)
    if len(data) != size:
        raise DescribeError(f"connection closed after {len(data)} of {size} bytes")
    return data


def _read_event(sock_file: Any) -> tuple[str, Any]:
    """Read one event (header line, optional data and payload); return type and data."""
    line = sock_file.readline(MAX_LINE + 1)
    if not line:
        raise DescribeError("connection closed before info")
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        raise DescribeError("header line too long")
    header = json.loads(line)
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise DescribeError(f"not a Wyoming header: {line[:80]!r}")
    data: Any = header.get("data") or {}
    data_length = header.get("data_length") or 0
    payload_length = header.get("payload_length") or 0
    for length in (data_length, payload_length):
        if not isinstance(length, int) or not 0 <= length <= MAX_DATA:
            raise DescribeError(f"bad length {length!r}")
    if data_length:
        data = json.loads(_read_exact(sock_file, data_length))
    if payload_length:
        _read_exact(sock_file, payload_length)
    return header["type"], data


def describe(host: str, port: int, timeout: float = 5.0) -> dict[str, Any]:
    """Send ``describe``; return the ``info`` event's data (skipping other events)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(b'{"type": "describe", "version": "1.0.0"}\n')
        with sock.makefile("rb") as sock_file:
            for _ in range(16):
                event_type, data = _read_event(sock_file)
                if event_type == "info":
                    if not isinstance(data, dict):
                        raise DescribeError("info data is not an object")
                    return data
    raise DescribeError("no info among the first 16 events")


def main(argv: list[str] | None = None) -> int:
    """Check every port given; print one line per failure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ports", nargs="+", type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    failed = 0
    for port in args.ports:
        try:
            describe(args.host, port, args.timeout)
        except (OSError, ValueError, DescribeError) as err:
            sys.stderr.write(f"wyoming describe on {args.host}:{port} failed: {err}\n")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
