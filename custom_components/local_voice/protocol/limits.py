"""Protocol version, limits, identifiers and the error every parser raises."""

from __future__ import annotations

import re
from typing import Final

# Version 2 added the wake-up signal, `dismiss`, the follow-up window, the
# transcript on `state` and timers; HA still serves version-1 satellites.
PROTOCOL_VERSION: Final = 2
SUPPORTED_VERSIONS: Final = (1, 2)
TOPIC_ROOT: Final = "local_voice"
ANNOUNCE_SUBSCRIPTION: Final = f"{TOPIC_ROOT}/+/announce"
ID_PATTERN: Final = re.compile(r"^[a-z0-9_-]{1,64}$")

# Microphone audio: raw PCM, 16 kHz, 16-bit signed little-endian, mono.
RATE: Final = 16000
WIDTH: Final = 2
CHANNELS: Final = 1
MIN_CHUNK_MS: Final = 10
MAX_CHUNK_MS: Final = 100
MIN_CHUNK_BYTES: Final = RATE * WIDTH * CHANNELS * MIN_CHUNK_MS // 1000  # 320
MAX_CHUNK_BYTES: Final = RATE * WIDTH * CHANNELS * MAX_CHUNK_MS // 1000  # 3200
MAX_UTTERANCE_SECONDS: Final = 30
MAX_SESSION_BYTES: Final = RATE * WIDTH * CHANNELS * MAX_UTTERANCE_SECONDS
MAX_SESSIONS_PER_SATELLITE: Final = 1  # a new session_start supersedes the old one
SESSION_IDLE_TIMEOUT_SECONDS: Final = 3.0  # no chunk for this long ends a session
MAX_JSON_BYTES: Final = 4096
MAX_TEXT_CHARS: Final = 1000
MAX_NAME_CHARS: Final = 100
MAX_WAKE_WORDS: Final = 16
# Answer audio (HA -> satellite): PCM in the rate announced on .../start.
OUT_RATES: Final = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
MAX_OUT_CHUNK_BYTES: Final = 48000 * 2 * 2 * MAX_CHUNK_MS // 1000  # 19200

# Version 2: follow-up listening, wake-up signal, timers.
MIN_WINDOW_S: Final = 1.0  # start_listening window_s: how long to wait for speech to begin
MAX_WINDOW_S: Final = 20.0  # the wait is part of the session: 20 s + 10 s of speech fit 30 s
MIN_LEVEL_DB: Final = -120.0  # dBFS of 16-bit PCM
MAX_SNR_DB: Final = 120.0
MAX_TIMERS: Final = 10  # per satellite, in one retained message
MAX_TIMER_SECONDS: Final = 359_999  # 99:59:59
MAX_TIMER_NAME_CHARS: Final = 40
MAX_RANG: Final = 20  # timer ids a satellite remembers having rung

ONLINE: Final = "online"
OFFLINE: Final = "offline"
STATES: Final = ("idle", "listening", "processing", "responding")


class ProtocolError(ValueError):
    """A message or topic that breaks the protocol; the text says how."""


def check_id(value: str, what: str) -> str:
    """Return ``value`` if it is a valid identifier; ``what`` names it in the error."""
    if not ID_PATTERN.fullmatch(value):
        raise ProtocolError(f"{what} {value[:80]!r} does not match {ID_PATTERN.pattern}")
    return value
