"""One command's turn on an MQTT satellite, read from the satellite's topics by its session.

The harness listens to ``local_voice/<id>/#`` like a second subscriber. A
command's turn is the first wake-word session the satellite starts after
the command is spoken; everything else in the traffic (a follow-up session
HA opened after a question, the late end of an earlier session) belongs to
another session and is ignored. So one lost or extra session can never
shift the results of later commands. The turn is over when HA has answered
that session (its ``audio/out/<session>/end``), reported an error for it,
dismissed it (another satellite heard the wake word better), or when it
ended without anything HA would still do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

_CHUNK_PARTS: Final = 5  # local_voice/<id>/audio/out/<stream>
_CONTROL_PARTS: Final = 6  # local_voice/<id>/audio/out/<stream>/start|end


@dataclass(frozen=True, slots=True)
class Heard:
    """One MQTT message as the harness heard it."""

    mono: float
    wall: float
    topic: str
    payload: bytes

    @property
    def parts(self) -> list[str]:
        """The topic's levels."""
        return self.topic.split("/")

    def json(self) -> dict[str, Any]:
        """The payload as a JSON object ({} when it is not one)."""
        try:
            data = json.loads(self.payload)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def event(self) -> dict[str, Any] | None:
        """The satellite's event, when this is one."""
        return self.json() if self.parts[2:] == ["event"] else None

    def command(self) -> dict[str, Any] | None:
        """HA's command, when this is one."""
        return self.json() if self.parts[2:] == ["command"] else None

    def state(self) -> dict[str, Any] | None:
        """HA's state message, when this is one."""
        return self.json() if self.parts[2:] == ["state"] else None


@dataclass(slots=True)
class SessionTurn:
    """What happened to one session, from the messages that name it."""

    session_id: str
    started: Heard
    signal: dict[str, Any] = field(default_factory=dict)
    ended: Heard | None = None
    end_reason: str = ""
    dismissed: Heard | None = None  # HA's `dismiss` command
    end_of_speech: Heard | None = None  # HA's `end_of_speech`: HA ended the utterance here
    transcript: str = ""
    states: list[dict[str, Any]] = field(default_factory=list)
    answer_start: dict[str, Any] | None = None
    answer_end: Heard | None = None
    first_audio: Heard | None = None
    pcm: bytearray = field(default_factory=bytearray)

    @property
    def error(self) -> str:
        """HA's error for this session, if it reported one."""
        for state in self.states:
            if state.get("error_code"):
                return f"{state['error_code']}: {state.get('error_message', '')}"
        return ""

    @property
    def answered(self) -> bool:
        """HA ran a pipeline for this session and answered it."""
        return self.answer_start is not None

    @property
    def utterance_end(self) -> Heard | None:
        """When the utterance ended: HA's ``end_of_speech``, else the satellite's ``session_end``.

        With ``end_of_speech`` HA has already ended the audio stream; the
        satellite's ``session_end`` follows a round trip later.
        """
        return self.end_of_speech or self.ended

    def over(self) -> bool:
        """Nothing more will come for this session."""
        if self.dismissed is not None or self.end_reason == "dismissed" or self.error:
            return True
        if self.answer_end is not None:
            return True
        idle = any(s.get("state") == "idle" for s in self.states)
        # Ended without an answer: a satellite without a speaker, or a cancelled session.
        return self.ended is not None and idle and self.answer_start is None


def wake_session(messages: list[Heard]) -> SessionTurn | None:
    """The first wake-word session in ``messages`` and everything that names it."""
    turn: SessionTurn | None = None
    for msg in messages:
        event = msg.event()
        if turn is None:
            if (
                event
                and event.get("type") == "session_start"
                and event.get("reason")
                in {
                    None,
                    "wake_word",
                }
            ):
                turn = SessionTurn(str(event.get("session_id")), msg, event.get("signal") or {})
            continue
        _apply(turn, msg, event)
    return turn


def _apply(turn: SessionTurn, msg: Heard, event: dict[str, Any] | None) -> None:
    sid = turn.session_id
    if event is not None:
        if event.get("type") == "session_end" and event.get("session_id") == sid:
            turn.ended, turn.end_reason = msg, str(event.get("reason", ""))
    elif (command := msg.command()) is not None:
        if command.get("command") == "dismiss" and command.get("session_id") == sid:
            turn.dismissed = msg
        elif command.get("command") == "end_of_speech" and command.get("session_id") == sid:
            turn.end_of_speech = msg
    elif (state := msg.state()) is not None:
        if state.get("session_id") == sid:
            turn.states.append(state)
            if state.get("state") == "processing" and state.get("text"):
                turn.transcript = str(state["text"])
    else:
        _answer_audio(turn, msg)


def _answer_audio(turn: SessionTurn, msg: Heard) -> None:
    """``audio/out/<session>/start``, its PCM chunks and ``.../end``."""
    parts = msg.parts
    if parts[2:4] != ["audio", "out"] or len(parts) < _CHUNK_PARTS or parts[4] != turn.session_id:
        return
    if len(parts) == _CHUNK_PARTS:
        turn.first_audio = turn.first_audio or msg
        turn.pcm += msg.payload
    elif parts[5] == "start":
        turn.answer_start = msg.json()
    elif parts[5] == "end":
        turn.answer_end = msg


def timer_ids(messages: list[Heard]) -> set[str]:
    """Every timer id HA's retained ``timers`` messages named."""
    ids: set[str] = set()
    for msg in messages:
        if msg.parts[2:] == ["timers"] and msg.payload:
            ids |= {str(t.get("id")) for t in msg.json().get("timers") or [] if isinstance(t, dict)}
    return ids


def rung(messages: list[Heard]) -> set[str]:
    """Timers HA said finished (``timer_finished``) or the satellite says it rang."""
    ids: set[str] = set()
    for msg in messages:
        if (command := msg.command()) and command.get("command") == "timer_finished":
            ids.add(str(command.get("timer_id")))
        elif msg.parts[2:] == ["timers", "rang"] and msg.payload:
            ids |= {str(i) for i in msg.json().get("rang") or []}
    return ids
