"""Announce each Wyoming server to Home Assistant through the Supervisor.

Runs once at add-on start (the s6 ``discovery`` oneshot). It waits until each
server answers ``describe`` (an open port is not enough: the model may still
be loading), then POSTs one ``wyoming`` discovery message per server to the
Supervisor's ``/discovery`` API. Home Assistant's ``wyoming`` integration
turns each message into a "discovered" card (its ``async_step_hassio``).

Standard library only; the token comes from ``SUPERVISOR_TOKEN``, never logged.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from typing import Final

from wyoming_describe import DescribeError, describe

DEFAULT_SUPERVISOR: Final = "http://supervisor"


def wait_for_describe(port: int, deadline_s: float, interval_s: float = 1.0) -> None:
    """Poll ``describe`` on ``port`` until it answers or ``deadline_s`` passes."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            describe("127.0.0.1", port, timeout=min(5.0, deadline_s))
        except (OSError, ValueError, DescribeError) as err:
            if time.monotonic() >= end:
                raise TimeoutError(f"port {port} did not answer describe: {err}") from err
            time.sleep(interval_s)
        else:
            return


def announce(supervisor: str, token: str, uri: str) -> str:
    """POST one ``wyoming`` discovery message; return the Supervisor's uuid for it."""
    body = json.dumps({"service": "wyoming", "config": {"uri": uri}}).encode()
    request = urllib.request.Request(  # noqa: S310  # the URL is the Supervisor's, http by design
        f"{supervisor}/discovery",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # same URL
        answer = json.loads(response.read())
    if not isinstance(answer, dict) or answer.get("result") != "ok":
        raise RuntimeError(f"Supervisor refused the discovery message: {answer!r}")
    data = answer.get("data")
    return str(data.get("uuid", "")) if isinstance(data, dict) else ""


def main(argv: list[str] | None = None) -> int:
    """Wait for each port, then announce it; exit 1 naming what failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ports", nargs="+", type=int)
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait per server")
    args = parser.parse_args(argv)
    token = os.environ.get("SUPERVISOR_TOKEN", "")
    if not token:
        sys.stderr.write("discovery: SUPERVISOR_TOKEN is not set; not announcing\n")
        return 1
    supervisor = os.environ.get("LOCAL_VOICE_SUPERVISOR_URL", DEFAULT_SUPERVISOR)
    host = os.environ.get("LOCAL_VOICE_ANNOUNCE_HOST") or socket.gethostname()
    for port in args.ports:
        uri = f"tcp://{host}:{port}"
        try:
            wait_for_describe(port, args.wait)
            uuid = announce(supervisor, token, uri)
        except (OSError, TimeoutError, RuntimeError, ValueError) as err:
            sys.stderr.write(f"discovery: could not announce {uri}: {err}\n")
            return 1
        sys.stderr.write(f"discovery: announced {uri} to Home Assistant ({uuid})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
