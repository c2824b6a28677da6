"""No orphans: children started through ``processes.spawn`` die with the harness.

A small harness parent runs as a real subprocess: it starts a real mosquitto
(through :class:`Mosquitto`), a child from its main thread and one from a
worker thread that has already ended (Linux ties PDEATHSIG to the forking
thread), prints their PIDs and waits. The test kills or stops the parent and
watches those PIDs by ``/proc``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from local_voice_harness.paths import REPO_ROOT
from local_voice_harness.processes import children, spawn, stop_process

if TYPE_CHECKING:
    from collections.abc import Iterator

# Each child records the SIGTERM it got, so the order of an orderly stop shows.
_CHILD = """
import signal, sys, time
def bye(*_):
    with open(sys.argv[2], "a") as f:
        f.write(sys.argv[1] + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
print("ready", flush=True)
time.sleep(60)
"""

_PARENT = """
import json, signal, sys, threading, time
from pathlib import Path
from local_voice_harness.mosquitto import Mosquitto
from local_voice_harness.processes import install_stop_handlers, spawn

if sys.argv[2] == "ignore-sigint":  # as in a background job of a shell script
    signal.signal(signal.SIGINT, signal.SIG_IGN)
install_stop_handlers()
work = Path(sys.argv[1])
child = [sys.executable, str(work / "child.py")]
broker = Mosquitto(workdir=work).start()
first = spawn([*child, "first", str(work / "stopped.txt")], stdout=-1)
held = []
worker = threading.Thread(
    target=lambda: held.append(spawn([*child, "second", str(work / "stopped.txt")], stdout=-1))
)
worker.start()
worker.join()
for proc in (first, held[0]):
    proc.stdout.readline()  # its SIGTERM handler is in place
print(json.dumps([broker.pid, first.pid, held[0].pid]), flush=True)
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    """Exited (no /proc entry) or a zombie waiting for whoever adopted it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _wait_gone(pids: list[int], limit_s: float = 5.0) -> list[int]:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if not _gone(pid)]
        if not alive:
            return []
        time.sleep(0.05)
    return alive


@pytest.fixture(params=["default-sigint", "ignore-sigint"])
def parent(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen[str], list[int], Path]]:
    """The harness parent, started and reporting its three children's PIDs."""
    (tmp_path / "child.py").write_text(textwrap.dedent(_CHILD))
    proc = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path), request.param],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert proc.stdout is not None
    pids: list[int] = []
    try:
        pids = json.loads(proc.stdout.readline())
        assert len(pids) == 3, pids
        assert not any(_gone(pid) for pid in pids)
        yield proc, pids, tmp_path
    finally:
        stop_process(proc, timeout=2)
        for pid in pids:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_children_die_when_the_parent_is_killed(
    parent: tuple[subprocess.Popen[str], list[int], Path],
) -> None:
    """SIGKILL leaves no handler to run: the kernel's PDEATHSIG stops all three."""
    proc, pids, _ = parent
    proc.kill()
    proc.wait(timeout=5)
    assert _wait_gone(pids) == []


def test_sigterm_stops_children_newest_first(
    parent: tuple[subprocess.Popen[str], list[int], Path],
) -> None:
    """SIGTERM acts as Ctrl-C; the exit stops what is left in reverse start order."""
    proc, pids, work = parent
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) != 0
    assert _wait_gone(pids) == []
    assert (work / "stopped.txt").read_text().split() == ["second", "first"]


def test_spawn_from_a_finished_thread_keeps_the_child() -> None:
    """A worker thread's exit must not take its child along (PDEATHSIG is per thread)."""
    held: list[subprocess.Popen[bytes]] = []
    worker = threading.Thread(target=lambda: held.append(spawn(["sleep", "30"])))
    worker.start()
    worker.join()
    try:
        time.sleep(0.3)
        assert held[0].poll() is None
        assert held[0] in children()
    finally:
        stop_process(held[0], timeout=2)
    assert held[0] not in children()


def test_spawn_refuses_its_own_preexec_fn() -> None:
    """The die-with-parent hook cannot be silently replaced."""
    with pytest.raises(TypeError, match="preexec_fn"):
        spawn(["true"], preexec_fn=lambda: None)
