"""What one gateway is allowed to do, decided once on the command line.

Defaults match the Wyoming side: the same allow list as the add-on
(loopback and the private LAN ranges), the same text cap as
``local-voice-tts`` and an upload cap in line with OpenAI's 25 MB.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from wyoming_servers.addon_options import DEFAULT_ALLOW

if TYPE_CHECKING:
    from wyoming_servers.core.server import IPNetwork

DEFAULT_HOST: Final = "0.0.0.0"  # noqa: S104 - the allow list guards it, as on the Wyoming side
DEFAULT_PORT: Final = 10500
DEFAULT_ASR_URI: Final = "tcp://127.0.0.1:10300"
DEFAULT_TTS_URI: Final = "tcp://127.0.0.1:10200"
DEFAULT_MAX_UPLOAD_BYTES: Final = 25 * 1024 * 1024
DEFAULT_MAX_CHARS: Final = 5000
DEFAULT_MAX_ACTIVE: Final = 8
DEFAULT_MAX_QUEUED: Final = 16
DEFAULT_TIMEOUT: Final = 60.0
DEFAULT_CONNECT_TIMEOUT: Final = 3.0
MAX_PROMPT_CHARS: Final = 2000
MAX_FIELD_CHARS: Final = 256


def default_networks() -> list[IPNetwork]:
    """Loopback and private LAN ranges: who may connect unless told otherwise."""
    return [ipaddress.ip_network(text) for text in DEFAULT_ALLOW]


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Upstream servers, caps and the allow list of one gateway."""

    asr_uri: str = DEFAULT_ASR_URI
    tts_uri: str = DEFAULT_TTS_URI
    allow: list[IPNetwork] = field(default_factory=default_networks)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_chars: int = DEFAULT_MAX_CHARS
    max_active: int = DEFAULT_MAX_ACTIVE
    max_queued: int = DEFAULT_MAX_QUEUED
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    def __post_init__(self) -> None:
        """Refuse settings that would make every request fail or nothing bounded."""
        if self.max_upload_bytes < 1024:  # noqa: PLR2004 - smaller than any WAV header + audio
            raise ValueError("max_upload_bytes must be at least 1024")
        for name in ("max_chars", "max_active"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_queued < 0:
            raise ValueError("max_queued must not be negative")
        for name in ("timeout", "connect_timeout"):
            if not 0 < getattr(self, name) <= 3600:  # noqa: PLR2004 - one hour
                raise ValueError(f"{name} must be in (0, 3600] seconds")
