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


class _Tones:
    """Records the tones the microphone asks for."""

    def __init__(self) -> None:
        self.tones: list[str] = []

    def stop(self) -> None:
        """Nothing plays."""

    def play_tone(self, name: str, _pcm: bytes) -> None:
        self.tones.append(name)


def _sounding_microphone(events: list[Any], tones: _Tones) -> Microphone:
    return Microphone(
        "hall",
        WakeWordDetector(["okay_nabu"]),
        Endpointer(make_vad("silero")),
        tones,  # type: ignore[arg-type]
        send_event=lambda e: events.append(e) or True,
        send_audio=lambda _sid, _chunk: True,
        sounds=True,
    )


def _gain(pcm: bytes, db: float) -> bytes:
    import numpy as np

    samples = np.frombuffer(pcm, "<i2").astype(np.float32) * 10 ** (db / 20)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def _wake_signal(pcm: bytes) -> protocol.WakeSignal:
    events: list[Any] = []
    mic = _microphone(events)
    _feed(mic, pcm)
    start = next(e for e in events if isinstance(e, protocol.SessionStart))
    assert start.signal is not None
    return start.signal


def test_the_wake_up_reports_how_well_it_was_heard() -> None:
    """Level and SNR follow the speaker's distance (here: 12 dB quieter, same room noise)."""
    rng = __import__("numpy").random.default_rng(7)
    noise = (rng.normal(0, 60, 16000 * 3)).astype("<i2").tobytes()  # about -55 dBFS
    wake = synthesize_wake_word()

    def heard(db: float) -> bytes:
        speech = silence(1.0) + _gain(wake, db) + silence(1.0)
        mixed = __import__("numpy").frombuffer(speech, "<i2").astype("int32")
        mixed[: len(noise) // 2] += __import__("numpy").frombuffer(noise, "<i2")[: len(mixed)]
        return mixed.clip(-32768, 32767).astype("<i2").tobytes()

    near, far = _wake_signal(heard(0.0)), _wake_signal(heard(-12.0))
    assert near.level_db is not None
    assert far.level_db is not None
    assert near.snr_db is not None
    assert far.snr_db is not None
    assert 10 < near.level_db - far.level_db < 14
    assert 10 < near.snr_db - far.snr_db < 14
    assert near.rank() > far.rank()
    assert near.score is not None
    assert 0.5 < near.score <= 1


def test_a_dismissed_wake_up_stops_at_once_and_makes_no_sound(
    dev_commands: list[SpokenCommand],
) -> None:
    events: list[Any] = []
    tones = _Tones()
    mic = _sounding_microphone(events, tones)
    _feed(mic, silence(0.5) + synthesize_wake_word() + silence(0.2))
    start = next(e for e in events if isinstance(e, protocol.SessionStart))
    assert tones.tones == []  # no awake tone before HA says this satellite listens
    mic.actions.put(Action("dismiss", session_id=start.session_id))
    _feed(mic, read_wav(dev_commands[0].audio) + silence(1.0))
    assert _kinds(events) == [("wake", "okay_nabu"), ("start", "wake_word"), ("end", "dismissed")]
    assert tones.tones == []
    assert mic.session is None


def test_the_winner_sounds_its_awake_tone_when_ha_listens(
    dev_commands: list[SpokenCommand],
) -> None:
    events: list[Any] = []
    tones = _Tones()
    mic = _sounding_microphone(events, tones)
    _feed(mic, silence(0.5) + synthesize_wake_word() + silence(0.2))
    start = next(e for e in events if isinstance(e, protocol.SessionStart))
    mic.actions.put(Action("listening", session_id="someone-else"))
    mic.actions.put(Action("dismiss", session_id="someone-else"))
    _feed(mic, silence(0.05))
    assert tones.tones == []
    mic.actions.put(Action("listening", session_id=start.session_id))
    _feed(mic, read_wav(dev_commands[0].audio) + silence(1.0))
    assert tones.tones == ["awake", "done"]
    assert _kinds(events)[-1] == ("end", "vad")


def test_the_follow_up_window_is_what_ha_asks_for() -> None:
    """After a question HA asks for a 2 s window: silence ends the session then, not at 5 s."""
    events: list[Any] = []
    mic = _microphone(events)
    mic.actions.put(Action("start", "conversation", window_s=2.0))
    _feed(mic, silence(1.9))
    assert mic.session is not None
    _feed(mic, silence(0.2))
    assert _kinds(events) == [("start", "conversation"), ("end", "cancel")]
    # A 20 s window outlasts the 15 s speech cap: the wait is not speech.
    events.clear()
    mic.actions.put(Action("start", "conversation", window_s=20.0))
    _feed(mic, silence(16.0))
    assert mic.session is not None
    _feed(mic, silence(4.1))
    assert _kinds(events) == [("start", "conversation"), ("end", "cancel")]
