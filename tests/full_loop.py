"""One ``local-voice-eval`` run of the whole loop, shared by the e2e and the no-egress tests.

Both need the same expensive run (mosquitto, our servers with the bundled
models, the bundled LLM and its cold prompt, a real HA, the real Pi
satellite): ``test_e2e.py`` checks what the commands did and that every
process is gone, ``test_no_egress.py`` that it worked offline and tried no
outside address. So it runs once, offline where the kernel allows it: in a
fresh network namespace (``unshare -n``) whose only interface is ``lo``,
every process traced with ``strace -f`` for ``connect``/``sendto``/``sendmsg``.
Without namespaces it runs as is and the no-egress test skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from local_voice_harness import paths
from local_voice_harness.command_set import speak_texts
from local_voice_harness.commands import load_texts

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.commands import SpokenCommand

PICKED: Final = ("cmd01.wav", "cmd02.wav", "cmd03.wav")  # light on, light off, switch on
# light.living_room_lamp off; HA's sentences miss it (the dev commands leave the lamp on)
MODEL_REQUEST: Final = "I'm heading to bed, kill the lamp in the living room"
COMMANDS: Final = 4


@dataclass(frozen=True, slots=True)
class FullLoop:
    """What the run left: its output, its JSON, and (offline) the syscall trace."""

    done: subprocess.CompletedProcess[str]
    doc: dict[str, Any] | None  # eval.json; None when the run wrote none
    offline: bool  # ran in a network namespace with only lo
    trace: str | None  # strace's output; None when not traced (no strace, no namespace)

    def output(self) -> str:
        """For assertion messages."""
        return self.done.stdout + self.done.stderr[-4000:]


def namespaces_work() -> bool:
    """Can this process make a network namespace (``unshare -n``, needs root)?"""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "set", "lo", "up"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


def command_set(tmp_path: Path, dev_commands: list[SpokenCommand]) -> Path:
    """Three dev commands for HA's intents and one request only the model handles."""
    folder = tmp_path / "commands"
    folder.mkdir()
    lines = []
    for command in dev_commands:
        if command.audio.name in PICKED:
            (folder / command.audio.name).symlink_to(command.audio)
            entry = {"audio": command.audio.name, "text": command.text, "expect": command.expect}
            lines.append(json.dumps(entry))
    texts = [t for t in load_texts(paths.llm_commands_file("tuning")) if t.text == MODEL_REQUEST]
    for spoken in speak_texts(texts, tmp_path / "spoken"):
        (folder / "model00.wav").symlink_to(spoken.audio)
        entry = {"audio": "model00.wav", "text": spoken.text, "expect": spoken.expect}
        lines.append(json.dumps(entry))
    (folder / "commands.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def run_full_loop(tmp_path: Path, dev_commands: list[SpokenCommand]) -> FullLoop:
    """Run ``local-voice-eval`` on :func:`command_set`, offline and traced when possible."""
    folder = command_set(tmp_path, dev_commands)
    out = tmp_path / "eval.json"
    eval_argv = [
        *(sys.executable, "-m", "local_voice_harness.eval", "--commands", str(folder)),
        *("--json", str(out), "--fast"),
    ]
    offline = namespaces_work()
    argv = eval_argv
    strace = shutil.which("strace") if offline else None
    trace_file = tmp_path / "trace.txt"
    if offline:
        traced = (
            [
                *(strace, "-f", "--seccomp-bpf", "-qq", "-e", "signal=none", "-o", str(trace_file)),
                *("-e", "trace=connect,sendto,sendmsg,sendmmsg"),
            ]
            if strace
            else []
        )
        # Only lo exists in the new namespace: check that, then run the loop in it.
        script = 'ip link set lo up && [ "$(ip -o link show | wc -l)" = 1 ] && exec "$@"'
        argv = ["unshare", "-n", "sh", "-c", script, "sh", *traced, *eval_argv]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=420,
        cwd=paths.REPO_ROOT,
        env=env,
        check=False,
    )
    doc = json.loads(out.read_text()) if out.exists() else None
    trace = None
    if strace:  # traced: a missing trace file is an empty trace (and fails the test)
        trace = trace_file.read_text(errors="replace") if trace_file.exists() else ""
    return FullLoop(done=done, doc=doc, offline=offline, trace=trace)
