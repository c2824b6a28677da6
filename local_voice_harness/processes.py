"""Starting and stopping the processes the harness starts, so none outlives it.

Every child (mosquitto, ASR, TTS, fake Ollama, HA, peer servers, the satellite
driver) is started through :func:`spawn`, which asks Linux to SIGTERM it when
the harness dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)``). Linux sends
that signal when the *thread* that forked the child ends, not the process, so
a spawn from any thread but the main one is handed to one long-lived spawner
thread; a child started from a short-lived worker thread would otherwise be
killed as soon as that worker exits.

:func:`install_stop_handlers` makes SIGTERM and SIGHUP behave like Ctrl-C (the
entry points already stop their stacks in order on ``KeyboardInterrupt``) and
stops whatever is still running, newest first, at interpreter exit.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import FrameType

_PR_SET_PDEATHSIG: Final = 1
_HANDLED_SIGNALS: Final = (signal.SIGTERM, signal.SIGHUP)


def _load_prctl() -> Callable[..., int] | None:
    """Libc's ``prctl``, loaded in the parent: a child between fork and exec must not import."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL: Final = _load_prctl()
_children: list[subprocess.Popen[Any]] = []
_children_lock = threading.Lock()
_requests: queue.SimpleQueue[
    tuple[Sequence[str], dict[str, Any], concurrent.futures.Future[subprocess.Popen[bytes]]]
] = queue.SimpleQueue()
_stopping = False


def die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A ``preexec_fn``: SIGTERM this child when the forking thread of ``parent_pid`` ends."""

    def preexec() -> None:  # pragma: no cover - runs in the child between fork and exec
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died before prctl took effect: then nobody will signal us.
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def _popen(argv: Sequence[str], kwargs: dict[str, Any]) -> subprocess.Popen[bytes]:
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 - callers pass fixed argvs
        argv,
        preexec_fn=die_with_parent(os.getpid()),  # noqa: PLW1509 - only prctl + getppid in it
        **kwargs,
    )
    with _children_lock:
        _children[:] = [child for child in _children if child.poll() is None]
        _children.append(proc)
    return proc


def _spawner_loop() -> None:
    while True:
        argv, kwargs, future = _requests.get()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(_popen(argv, kwargs))
            except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
                future.set_exception(err)


# Started at import, idle on its queue: a daemon thread is never joined at exit, so
# it ends (and signals its children) only with the process, after the ordered stop
# at exit. (Made at import, not on first use, so it is no thread "left behind" by a
# test in HA's test plugin.)
threading.Thread(target=_spawner_loop, name="lv-spawner", daemon=True).start()


def spawn(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(argv, **kwargs)`` for a child that must not outlive the harness."""
    if "preexec_fn" in kwargs:
        raise TypeError("spawn() sets preexec_fn itself")
    if threading.current_thread() is threading.main_thread():
        return _popen(argv, kwargs)
    future: concurrent.futures.Future[subprocess.Popen[bytes]] = concurrent.futures.Future()
    _requests.put((argv, kwargs, future))
    return future.result()


def children() -> list[subprocess.Popen[Any]]:
    """The children started through :func:`spawn` that are still running, oldest first."""
    with _children_lock:
        return [child for child in _children if child.poll() is None]


def stop_process(
    proc: subprocess.Popen[Any] | None, timeout: float = 5.0, reap_timeout: float = 5.0
) -> bool:
    """SIGTERM, then SIGKILL if it ignores that for ``timeout`` s; reap. True if it was killed."""
    if proc is None or proc.poll() is not None:
        return False
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=reap_timeout)
        return True
    return False


def stop_children(timeout: float = 10.0) -> int:
    """Stop every running spawned child, newest first (HA before the servers it uses)."""
    stopped = 0
    for child in reversed(children()):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            stop_process(child, timeout=timeout)
            stopped += 1
    return stopped


def _on_stop_signal(signum: int, _frame: FrameType | None) -> None:
    """First SIGTERM/SIGHUP: act as Ctrl-C (ordered shutdown); a second one: stop and exit now."""
    global _stopping  # noqa: PLW0603 - signal state of this process
    if not _stopping:
        _stopping = True
        if callable(signal.getsignal(signal.SIGINT)):
            # Whatever handles SIGINT now (asyncio.run's task cancel, or
            # KeyboardInterrupt) runs the caller's own shutdown path.
            signal.raise_signal(signal.SIGINT)
            return
        # SIGINT ignored (a background job of a script): interrupt directly.
        raise KeyboardInterrupt
    stop_children(timeout=2.0)
    os._exit(128 + signum)


def install_stop_handlers() -> None:
    """For an entry point's main thread: SIGTERM/SIGHUP stop like Ctrl-C; leftovers at exit."""
    for signum in _HANDLED_SIGNALS:
        signal.signal(signum, _on_stop_signal)
    atexit.register(stop_children)
