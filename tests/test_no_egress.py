"""Nothing leaves the house: the whole loop works with only loopback, and nothing even tries.

``local-voice-eval`` (mosquitto, our Wyoming servers with the bundled models,
a real headless HA started with ``--skip-pip``, the local_voice agent with the
bundled LLM served by ``local-voice-llm`` (the agent warms its prompt through
it), the real Pi satellite program over MQTT) runs inside a fresh
network namespace (``unshare -n``) whose only interface is ``lo``. The
commands (three for HA's intents, one only the model handles) must still
succeed: no model, voice, wake word or HA requirement is fetched at run time.
The run is the one ``tests/local_voice_harness/test_e2e.py`` checks too
(``tests/full_loop.py``: it takes more than a minute).

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
import re
from typing import TYPE_CHECKING, Final

import pytest
from full_loop import namespaces_work

if TYPE_CHECKING:
    from full_loop import FullLoop

pytestmark = [pytest.mark.slow, pytest.mark.llm]

# homeassistant.components.network.const: MDNS_TARGET_IP, PUBLIC_TARGET_IP,
# used by async_get_source_ip with a UDP connect() (no packet is sent).
HA_SOURCE_IP_PROBES: Final = {("224.0.0.251", 1), ("8.8.8.8", 1)}
_INET: Final = re.compile(r'sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)')
_INET6: Final = re.compile(r'sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([0-9a-fA-F:.]+)"')


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


@pytest.mark.skipif(not namespaces_work(), reason="network namespaces need root (unshare -n)")
@pytest.mark.timeout(480)  # the model's cold prompt is read once at start
def test_full_loop_with_loopback_only(full_loop: FullLoop) -> None:
    done, doc = full_loop.done, full_loop.doc
    assert full_loop.offline
    assert done.returncode == 0, full_loop.output()
    assert "commands: 4/4 succeeded" in done.stdout, full_loop.output()
    assert doc is not None
    assert set(doc["stack"]["pids"]) >= {"mosquitto", "asr", "tts", "llm", "home_assistant"}
    assert doc["stack"]["llm_warm_s"] is not None  # the model server answered, offline
    assert any(p.startswith("satellite") for p in doc["stack"]["pids"])
    if full_loop.trace is None:
        pytest.skip("the loop ran offline; strace is missing, so attempts were not traced")
    trace = full_loop.trace
    assert "127.0.0.1" in trace  # the trace really saw the loop's own traffic
    assert outside_addresses(trace) == []
