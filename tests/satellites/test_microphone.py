"""The Pi satellite's microphone logic with the real wake word model and VAD.

Events the satellite would publish are recorded instead of sent; the audio is
"okay nabu" from espeak-ng and a dev spoken command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import local_voice_protocol as protocol
from local_voice_satellite.audio_in import read_wav
from local_voice_satellite.endpoint import Endpointer, make_vad
from local_voice_satellite.microphone import Action, Microphone
from local_voice_satellite.wakeword import WakeWordDetector
from satellite_helpers import silence, synthesize_wake_word

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand


class _Speaker:
    """Stands in for the player: the microphone only stops it and plays tones."""

    def stop(self) -> None:
        """Nothing plays."""

    def play_tone(self, *_args: Any) -> None:
        """No tones (``sounds`` is off)."""


def _microphone(events: list[Any]) -> Microphone:
    def send_event(event: Any) -> bool:
        events.append(event)
        return True

    return Microphone(
        "hall",
        WakeWordDetector(["okay_nabu"]),
        Endpointer(make_vad("silero")),
        _Speaker(),  # type: ignore[arg-type]
        send_event=send_event,
        send_audio=lambda _sid, _chunk: True,
    )


def _feed(mic: Microphone, pcm: bytes) -> None:
    for offset in range(0, len(pcm) - 319, 320):
        mic.process(pcm[offset : offset + 320])


def _kinds(events: list[Any]) -> list[tuple[str, str]]:
    out = []
    for event in events:
        if isinstance(event, protocol.SessionStart):
            out.append(("start", event.reason))
        elif isinstance(event, protocol.SessionEnd):
            out.append(("end", event.reason))
        elif isinstance(event, protocol.WakeWordDetected):
            out.append(("wake", event.wake_word_id))
    return out


def _answer_session(pcm: bytes) -> list[tuple[str, str]]:
    """What the satellite sends for ``pcm`` heard in a session HA opened for an answer."""
    events: list[Any] = []
    mic = _microphone(events)
    mic.actions.put(Action("start", "conversation"))
    _feed(mic, pcm)
    return _kinds(events)


def test_the_wake_word_in_a_conversation_session_starts_a_new_command(
    dev_commands: list[SpokenCommand],
) -> None:
    """HA asked "Are you sure ...?"; the user says "okay nabu, turn on ..." instead."""
    command = read_wav(dev_commands[0].audio)
    heard = silence(0.5) + synthesize_wake_word() + silence(0.15) + command + silence(1.0)
    assert _answer_session(heard) == [
        ("start", "conversation"),
        ("end", "cancel"),
        ("wake", "okay_nabu"),
        ("start", "wake_word"),
        ("end", "vad"),
    ]


def test_an_answer_in_a_conversation_session_is_streamed(
    dev_commands: list[SpokenCommand],
) -> None:
    heard = silence(0.5) + read_wav(dev_commands[0].audio) + silence(1.0)
    assert _answer_session(heard) == [("start", "conversation"), ("end", "vad")]
