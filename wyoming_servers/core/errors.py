"""One typed error hierarchy for both Wyoming servers.

Every error that ends a connection carries a stable ``code``: it goes into the
``error`` event sent to the client and is the ``kind`` label of the
``local_voice_errors_total`` metric, so a client, a log line and a dashboard
all name the same failure the same way.
"""

from __future__ import annotations

from typing import ClassVar


class WyomingServerError(Exception):
    """Base of every error a connection can end with; ``code`` is stable."""

    code: ClassVar[str] = "server-error"


class ProtocolError(WyomingServerError):
    """The bytes on the wire are not a valid Wyoming event."""

    code: ClassVar[str] = "protocol-error"


class MalformedEventError(ProtocolError):
    """Header or data is not a JSON object of the expected shape."""

    code: ClassVar[str] = "malformed-event"


class BadLengthError(ProtocolError):
    """``data_length`` or ``payload_length`` is not a non-negative integer."""

    code: ClassVar[str] = "bad-length"


class EventTooLargeError(ProtocolError):
    """A header line, data block or payload is over its cap."""

    code: ClassVar[str] = "event-too-large"


class TruncatedEventError(ProtocolError):
    """The connection closed in the middle of an event."""

    code: ClassVar[str] = "truncated-event"


class ReadTimeoutError(WyomingServerError):
    """An event started but did not finish arriving in time (slow drip)."""

    code: ClassVar[str] = "read-timeout"


class IdleTimeoutError(WyomingServerError):
    """No event arrived for too long."""

    code: ClassVar[str] = "idle-timeout"


class UnexpectedEventError(WyomingServerError):
    """An event arrived out of order (e.g. audio before ``audio-start``)."""

    code: ClassVar[str] = "unexpected-event"


class BadEventDataError(WyomingServerError):
    """An event's data fields have the wrong type or an out-of-range value."""

    code: ClassVar[str] = "bad-event-data"


class AudioFormatError(BadEventDataError):
    """Rate, width, channels or byte count of audio are not acceptable."""

    code: ClassVar[str] = "bad-audio-format"


class UtteranceTooLongError(WyomingServerError):
    """More audio than the server's per-utterance cap."""

    code: ClassVar[str] = "utterance-too-long"


class TooManyClientsError(WyomingServerError):
    """Every slot is taken and the queue is full (``--max-clients``, ``--max-queued``)."""

    code: ClassVar[str] = "too-many-clients"


class QueueTimeoutError(WyomingServerError):
    """A client waited ``--queue-timeout`` seconds and no slot came free."""

    code: ClassVar[str] = "queue-timeout"


class ClientLeftError(WyomingServerError):
    """The client closed its connection while it waited for a turn (it is told nothing)."""

    code: ClassVar[str] = "client-left"


class ClientNotAllowedError(WyomingServerError):
    """The peer address is outside the ``--allow`` list."""

    code: ClassVar[str] = "not-allowed"


class InferenceError(WyomingServerError):
    """The model failed on this request (the server itself is fine)."""

    code: ClassVar[str] = "inference-failed"


class WriteTimeoutError(WyomingServerError):
    """The client stopped reading what the server sends."""

    code: ClassVar[str] = "write-timeout"
