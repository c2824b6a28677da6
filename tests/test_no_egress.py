"""Nothing leaves the house: the whole loop works with only loopback, and nothing even tries.

``local-voice-eval`` (mosquitto, our Wyoming servers with the bundled models,
a real headless HA started with ``--skip-pip``, the local_voice agent with the
bundled LLM served by ``local-voice-llm`` (the agent warms its prompt through
it), the real Pi satellite program over MQTT) runs inside a fresh
network namespace (``unshare -n``) whose only interface is ``lo``. The
commands must still succeed: no model, voice, wake word or HA requirement is
fetched at run time.

Succeeding offline is not enough (a failed lookup is often swallowed), so
every process is also traced with ``strace -f`` for ``connect``/``sendto``/
``sendmsg``: each address used must be loopback or a Unix socket. The trace
catches onnxruntime's telemetry (a DNS lookup of
``mobile.events.data.microsoft.com`` from the TTS server), which
``wyoming_servers`` turns off. One exception is named and justified: HA's ``network``
integration ``connect()``s a UDP socket to 8.8.8.8:1 and 224.0.0.251:1 to
learn its source address; a UDP connect sends no packet.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Final

import pytest

from local_voice_harness import paths

if TYPE_CHECKING:
    from pathlib import Path

    from local_voice_harness.commands import SpokenCommand

pytestmark = [pytest.mark.slow, pytest.mark.llm]

PICKED: Final = ("cmd01.wav", "cmd02.wav", "cmd03.wav")
# homeassistant.components.network.const: MDNS_TARGET_IP, PUBLIC_TARGET_IP,
# used by async_get_source_ip with a UDP connect() (no packet is sent).
HA_SOURCE_IP_PROBES: Final = {("224.0.0.251", 1), ("8.8.8.8", 1)}
_INET: Final = re.compile(r'sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)')
_INET6: Final = re.compile(r'sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([0-9a-fA-F:.]+)"')


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "set", "lo", "up"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


def _command_set(tmp_path: Path, dev_commands: list[SpokenCommand]) -> Path:
    folder = tmp_path / "commands"
    folder.mkdir()
    lines = []
    for command in dev_commands:
        if command.audio.name in PICKED:
            (folder / command.audio.name).symlink_to(command.audio)
            entry = {"audio": command.audio.name, "text": command.text, "expect": command.expect}
            lines.append(json.dumps(entry))
    (folder / "commands.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def outside_addresses(trace: str) -> list[str]:
    """Every traced line that names an address that is not loopback (or the HA probes)."""
    found = []
    for line in trace.splitlines():
        for port, host in _INET.findall(line) + _INET6.findall(line):
            address = ipaddress.ip_address(host)
            mapped = getattr(address, "ipv4_mapped", None)
            if address.is_loopback or (mapped is not None and mapped.is_loopback):
                continue
            if "connect(" in line and (host, int(port)) in HA_SOURCE_IP_PROBES:
                continue
            found.append(line.strip())
    return found


_SAMPLE_TRACE: Final = (
    '1 connect(5, {sa_family=AF_INET, sin_port=htons(1883), sin_addr=inet_addr("127.0.0.1")}',
    '2 connect(8, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("8.8.8.8")}, 16)',
    '3 connect(12, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}',
    '4 sendto(9, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("8.8.8.8")}',
    '5 connect(3, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr)',
    '6 connect(3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2a00::1", &sin6_addr)',
    '7 connect(4, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0',
)


def test_outside_addresses_parser() -> None:
    trace = "\n".join(_SAMPLE_TRACE)
    assert [line[0] for line in outside_addresses(trace)] == ["3", "4", "6"]


@pytest.mark.skipif(not _namespaces_work(), reason="network namespaces need root (unshare -n)")
@pytest.mark.timeout(480)  # the model's cold prompt is read once at start
def test_full_loop_with_loopback_only(tmp_path: Path, dev_commands: list[SpokenCommand]) -> None:
    folder = _command_set(tmp_path, dev_commands)
    out = tmp_path / "eval.json"
    trace_file = tmp_path / "trace.txt"
    strace = shutil.which("strace")
    eval_argv = [
        *(sys.executable, "-m", "local_voice_harness.eval", "--commands", str(folder)),
        *("--json", str(out), "--fast"),
    ]
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
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script, "sh", *traced, *eval_argv],
        capture_output=True,
        text=True,
        timeout=420,
        cwd=paths.REPO_ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "commands: 3/3 succeeded" in done.stdout, done.stdout + done.stderr[-4000:]
    doc = json.loads(out.read_text())
    assert set(doc["stack"]["pids"]) >= {"mosquitto", "asr", "tts", "llm", "home_assistant"}
    assert doc["stack"]["llm_warm_s"] is not None  # the model server answered, offline
    assert any(p.startswith("satellite") for p in doc["stack"]["pids"])
    if strace is None:
        pytest.skip("the loop ran offline; strace is missing, so attempts were not traced")
    trace = trace_file.read_text(errors="replace")
    assert "127.0.0.1" in trace  # the trace really saw the loop's own traffic
    assert outside_addresses(trace) == []
