"""A private mosquitto broker on loopback, started and stopped by PID.

Never the system service: each broker has its own config file, port and
log in a temp dir, so tests and the demo can run beside a user's broker and
can restart theirs mid-session to prove recovery.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from .ports import free_port
from .processes import spawn, stop_process

_LOGGER = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    """The broker binary is missing or the broker did not come up."""


class Mosquitto:
    """One mosquitto process with its own config; restartable on the same port."""

    def __init__(
        self,
        port: int | None = None,
        *,
        extra_config: str = "",
        workdir: Path | None = None,
    ) -> None:
        binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if binary is None:
            raise BrokerError(
                "mosquitto not found: run scripts/bootstrap.sh (apt-get install mosquitto)"
            )
        self.binary = binary
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="lv-mosquitto-")
        self.workdir = workdir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.config_file = self.workdir / "mosquitto.conf"
        self.log_file = self.workdir / "mosquitto.log"
        self.extra_config = extra_config
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running broker."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def _write_config(self) -> None:
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence false",
            f"log_dest file {self.log_file}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "log_timestamp false",
        ]
        if os.geteuid() == 0:
            # As root mosquitto drops to user "mosquitto", which cannot write our temp dir.
            lines.append("user root")
        if "allow_anonymous" not in self.extra_config:
            lines.append("allow_anonymous true")
        self.config_file.write_text("\n".join(lines) + "\n" + self.extra_config + "\n")

    def start(self, timeout: float = 10.0) -> Self:
        """Start and wait until the port accepts connections."""
        if self.pid is not None:
            return self
        self._write_config()
        self.log_file.unlink(missing_ok=True)
        self._proc = spawn(
            [self.binary, "-c", str(self.config_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                log = self.log_file.read_text() if self.log_file.exists() else ""
                raise BrokerError(f"mosquitto exited ({self._proc.returncode}): {err}{log}")
            # Readiness from the broker's own log and the kernel's table of listening
            # sockets, not a probe connection: test harnesses (pytest-socket) may
            # forbid sockets while fixtures start. The log line comes before the bind
            # (a test once connected in between and was refused).
            if (
                self._log_has(f"listen socket on port {self.port}")
                and listening(self.port)
                and "Error" not in self.log_file.read_text(errors="replace")
                and self._proc.poll() is None
            ):
                _LOGGER.info("mosquitto pid %s listening on %s:%s", self.pid, self.host, self.port)
                return self
            time.sleep(0.02)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on {self.port} within {timeout}s")

    def _log_has(self, text: str) -> bool:
        try:
            return text in self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return False

    def stop(self) -> None:
        """Terminate by PID and reap."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        stop_process(proc)
        if proc.stderr:
            proc.stderr.close()

    def restart(self, down_for: float = 0.0) -> None:
        """Stop, optionally stay down a while, start again on the same port."""
        self.stop()
        if down_for:
            time.sleep(down_for)
        self.start()

    def close(self) -> None:
        """Stop and remove the temp dir."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def listening(port: int) -> bool:
    """Whether a TCP socket listens on ``port`` (Linux: /proc/net/tcp*; elsewhere: assumed)."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not any(t.exists() for t in tables):
        return True
    wanted = f":{port:04X}"
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            # "sl local_address rem_address st ...": local_address is "ADDR:PORT" in hex;
            # state 0A is LISTEN.
            _slot, local, _remote, state, *_rest = [*line.split(), "", "", "", ""]
            if local.endswith(wanted) and state == "0A":
                return True
    return False
