"""A blocking Wyoming TTS client for tests: raw socket, real wire format.

Blocking sockets (not wyoming's client) so hypothesis tests stay synchronous
and threads can run several clients at once; the bytes are the protocol's
own: a JSON header line, then data and payload.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Self

TIMEOUT = 60.0


@dataclass
class Reply:
    """What came back for one request."""

    types: list[str] = field(default_factory=list)
    rate: int | None = None
    width: int | None = None
    channels: int | None = None
    pcm: bytes = b""
    chunks: int = 0
    first_audio_s: float | None = None
    total_s: float = 0.0
    error: dict[str, Any] | None = None
    info: dict[str, Any] | None = None

    @property
    def seconds(self) -> float:
        """Seconds of audio received."""
        assert self.rate
        assert self.width
        assert self.channels
        return len(self.pcm) / (self.rate * self.width * self.channels)


def encode(event_type: str, data: dict[str, Any] | None = None, payload: bytes = b"") -> bytes:
    """One event's bytes: the header line, then data and payload."""
    header: dict[str, Any] = {"type": event_type}
    body = b""
    if data is not None:
        body = json.dumps(data).encode()
        header["data_length"] = len(body)
    if payload:
        header["payload_length"] = len(payload)
    return json.dumps(header).encode() + b"\n" + body + payload


class Client:
    """One connection to the server."""

    def __init__(self, host: str, port: int, timeout: float = TIMEOUT) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def send(self, event_type: str, data: dict[str, Any] | None = None) -> None:
        """Send one event."""
        self.sock.sendall(encode(event_type, data))

    def send_raw(self, raw: bytes) -> None:
        """Send bytes as they are (malformed events for the robustness tests)."""
        self.sock.sendall(raw)

    def read(self) -> tuple[str, dict[str, Any], bytes] | None:
        """The next event (type, data, payload), or None when the server closed."""
        line = self.file.readline()
        if not line:
            return None
        header = json.loads(line)
        data = header.get("data") or {}
        if header.get("data_length"):
            data = {**data, **json.loads(self.file.read(header["data_length"]))}
        payload = self.file.read(header["payload_length"]) if header.get("payload_length") else b""
        return header["type"], data, payload

    def collect(self, until: str, started: float | None = None) -> Reply:
        """Read events until ``until``, an ``error`` or a close."""
        started = time.perf_counter() if started is None else started
        reply = Reply()
        while (event := self.read()) is not None:
            event_type, data, payload = event
            reply.types.append(event_type)
            if event_type == "audio-start":
                reply.rate, reply.width, reply.channels = (
                    data["rate"],
                    data["width"],
                    data["channels"],
                )
            elif event_type == "audio-chunk":
                if reply.first_audio_s is None:
                    reply.first_audio_s = time.perf_counter() - started
                assert reply.rate is None or data["rate"] == reply.rate
                reply.pcm += payload
                reply.chunks += 1
            elif event_type == "error":
                reply.error = data
                break
            elif event_type == "info":
                reply.info = data
            if event_type == until:
                break
        reply.total_s = time.perf_counter() - started
        return reply

    def close(self) -> None:
        """Close the connection."""
        self.file.close()
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def synthesize(host: str, port: int, text: str, **data: Any) -> Reply:
    """One plain ``synthesize`` on a fresh connection."""
    with Client(host, port) as client:
        started = time.perf_counter()
        client.send("synthesize", {"text": text, **data})
        return client.collect("audio-stop", started)


def stream(host: str, port: int, deltas: list[str], **data: Any) -> Reply:
    """A streaming request: start, one chunk per delta, stop."""
    with Client(host, port) as client:
        started = time.perf_counter()
        client.send("synthesize-start", data)
        for delta in deltas:
            client.send("synthesize-chunk", {"text": delta})
        client.send("synthesize-stop")
        return client.collect("synthesize-stopped", started)


def describe_works(host: str, port: int) -> bool:
    """The server still answers a fresh client."""
    with Client(host, port, timeout=10) as client:
        client.send("describe")
        return client.collect("info").info is not None
