"""The tagged JSON message base class and ``encode``."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, ClassVar, Protocol


class Encodable(Protocol):
    """Anything with a wire form."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object sent on the wire."""
        ...


class Message:
    """A JSON message with a ``type`` (events) or ``command`` (commands) tag."""

    TAG: ClassVar[str]
    NAME: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """Wire form: the tag plus the dataclass fields that are set."""
        body = {k: v for k, v in asdict(self).items() if v is not None}  # type: ignore[call-overload]
        return {self.TAG: self.NAME, **body}


def encode(message: Encodable) -> bytes:
    """Serialise a message to compact UTF-8 JSON."""
    data = message.to_dict()
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
