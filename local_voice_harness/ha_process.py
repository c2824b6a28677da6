"""A real Home Assistant process in its own temp config dir, started and stopped by PID.

HA runs through :mod:`local_voice_harness.ha_runner` (the stock core minus the
frontend) with ``--skip-pip``: HA would otherwise reinstall manifest pins at
start-up and downgrade ``wyoming`` to a release without streaming events.
The user account is created offline with HA's own ``--script auth``; the
first login through ``/auth/login_flow`` makes it the owner (admin).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Final, Self

from .processes import spawn, stop_process

_LOGGER = logging.getLogger(__name__)
_RUNNER: Final = Path(__file__).with_name("ha_runner.py")


class HAProcessError(RuntimeError):
    """HA exited, or did not answer HTTP in time."""


class HomeAssistantProcess:
    """``python -m local_voice_harness.ha_runner -c DIR --skip-pip`` with a log file."""

    def __init__(self, config_dir: Path, http_port: int) -> None:
        self.config_dir = config_dir
        self.http_port = http_port
        self.base_url = f"http://127.0.0.1:{http_port}"
        self.log_file = config_dir / "hass.stdout.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running HA."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def _env(self) -> dict[str, str]:
        # No PYTHONPATH and cwd = the config dir: with the repo root on sys.path,
        # ``import custom_components`` would find the repo's folder instead of
        # the config dir's, and HA would miss the demo_home integration.
        return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def create_user(self, username: str, password: str, timeout: float = 60.0) -> None:
        """Add a login to HA's own auth provider (offline, before HA starts)."""
        if username.startswith("-") or password.startswith("-"):
            # HA's ``--script auth`` parses them as options (and has no "--").
            raise ValueError("a username or password for HA's auth script cannot start with '-'")
        result = subprocess.run(  # noqa: S603 - fixed argv, our interpreter
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--script",
                "auth",
                "-c",
                str(self.config_dir),
                "add",
                username,
                password,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(),
            check=False,
        )
        if result.returncode != 0 or "Auth created" not in result.stdout:
            raise HAProcessError(f"creating the HA user failed:\n{result.stdout}{result.stderr}")

    def log(self) -> str:
        """HA's stdout/stderr so far."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout: float = 120.0) -> Self:
        """Start HA and wait until its HTTP server answers."""
        if self.pid is not None:
            return self
        with self.log_file.open("wb") as log:
            self._proc = spawn(
                [
                    sys.executable,
                    str(_RUNNER),
                    "-c",
                    str(self.config_dir),
                    "--skip-pip",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.config_dir,
                env=self._env(),
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise HAProcessError(f"HA exited ({self._proc.returncode}):\n{self.log()[-4000:]}")
            if self._http_answers():
                _LOGGER.info("Home Assistant pid %s on %s", self.pid, self.base_url)
                return self
            time.sleep(0.2)
        self.stop()
        raise HAProcessError(f"HA did not answer on {self.base_url} within {timeout} s")

    def _http_answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/auth/providers", timeout=2):  # noqa: S310
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer means the server is up
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM by PID (HA shuts down cleanly), SIGKILL if it hangs; reap."""
        proc, self._proc = self._proc, None
        if stop_process(proc, timeout=timeout, reap_timeout=10) and proc is not None:
            _LOGGER.warning("HA pid %s ignored SIGTERM for %s s; killed it", proc.pid, timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
