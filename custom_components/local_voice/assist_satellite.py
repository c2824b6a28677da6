"""One Assist satellite entity per MQTT satellite.

As in HA's ESPHome satellite: a session's audio goes into a queue
(``satellite.session``), an async generator feeds
``async_accept_pipeline_from_satellite`` (HA passes this entity as the
satellite, so "turn on the light" means its area), the pipeline runs as a
config-entry background task, and pipeline events become ``state`` messages.
A wake-word session first claims the turn from the arbiter that all
satellites share (``satellite.arbiter``): when several satellites heard the
wake word, only the one that heard it best runs a pipeline, the others are
dismissed without a sound. The answer is HA's own text to speech, played
as it is made (``satellite.playback``: on the satellite, or on a media
player of its area while the area's music is ducked, ``satellite.media``);
an answer that asks something opens the microphone again for the follow-up
window. Timers are HA's, kept on the broker (``satellite.timers``).
Only public hooks of HA's satellite entity are used.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.assist_pipeline import PipelineEvent, PipelineEventType
from homeassistant.components.assist_pipeline.pipeline import PipelineStage
from homeassistant.components.assist_satellite import (
    AssistSatelliteAnnouncement,
    AssistSatelliteEntityFeature,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send

from . import protocol as p
from .const import (
    CONF_ARBITRATION_MS,
    CONF_END_ON_COMMAND,
    CONF_FOLLOW_UP_S,
    DEFAULT_ARBITRATION_MS,
    DEFAULT_END_ON_COMMAND,
    DEFAULT_FOLLOW_UP_S,
    DOMAIN,
    LOGGER,
    SIGNAL_PIPELINE_EVENT,
)
from .entity import satellite_device_info
from .runtime import async_acquire_arbiter
from .satellite.arbiter import Claim
from .satellite.endpointing import LISTENING, Listening
from .satellite.mqtt_entity import MqttSatelliteBase
from .satellite.playback import SpeechError

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SatelliteEntry
    from .satellite.session import Session

_STATE_OF_EVENT: Final = {
    PipelineEventType.STT_START: "listening",
    PipelineEventType.INTENT_START: "processing",
    PipelineEventType.TTS_START: "responding",
}


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SatelliteEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the satellite's entity."""
    async_add_entities([MqttAssistSatellite(entry)])


class MqttAssistSatellite(MqttSatelliteBase):
    """An MQTT satellite speaking the Local Voice protocol."""

    def __init__(self, entry: SatelliteEntry) -> None:
        super().__init__(entry)
        self._attr_unique_id = f"{self._sat}-assist_satellite"
        self._attr_device_info = satellite_device_info(self._announce)
        if self._announce.speaker:
            self._attr_supported_features = (
                AssistSatelliteEntityFeature.ANNOUNCE
                | AssistSatelliteEntityFeature.START_CONVERSATION
            )
        self._session_task: asyncio.Task[None] | None = None
        self._session_id: str | None = None
        self._tts: dict[str, Any] = {}  # the run's tts_output (token, url)
        self._answer_task: asyncio.Task[None] | None = None
        # The agent asked something ("Did you mean ...?", "Are you sure?"): once the
        # question is heard, the satellite listens for the answer without a wake word.
        self._follow_up = False
        # Events of a pipeline whose session was cancelled or superseded still come
        # (its run-end) after the next session started; they must not reach it.
        self._run_current = False
        self._transcript: str | None = None
        self._intercepting = False

    async def async_added_to_hass(self) -> None:
        """Subscribe, share the arbiter, start the timers."""
        await super().async_added_to_hass()
        self._arbiter = async_acquire_arbiter(self.hass, self._entry)

    # ---- sessions (SessionListener) ----

    def session_started(self, session: Session) -> None:
        """Claim the turn (a wake word), or take it at once (HA opened the session)."""
        if session.reason != "wake_word":
            self._take_over(session)
            return
        # A new wake word: the user moved on. The answer still playing must not open
        # the microphone for its question afterwards (that session would end this one).
        self._follow_up = False
        window = self._entry.options.get(CONF_ARBITRATION_MS, DEFAULT_ARBITRATION_MS) / 1000
        self._arbiter.claim(
            Claim(
                self._sat,
                session.session_id,
                session.wake_word_id or "",
                session.signal,
                on_won=lambda: self._take_over(session),
                on_lost=lambda why: self._dismissed(session, why),
                window_s=window,
            )
        )

    def _take_over(self, session: Session) -> None:
        """The session is this satellite's turn: end the previous one, run the pipeline."""
        if session.aborted or self._tracker.current is not session:
            return  # superseded or aborted while the arbiter decided
        previous = self._session_task
        self._cancel_answer()
        self._session_id = session.session_id
        self._tts, self._follow_up, self._transcript = {}, False, None
        self._run_current = False  # until this session's pipeline starts
        self._media_task(self._media.duck())
        self._session_task = self._entry.async_create_background_task(
            self.hass, self._run_commands(session, previous), f"{DOMAIN}_{self._sat}_session"
        )

    def _dismissed(self, session: Session, why: str) -> None:
        """Another satellite won: drop this session quietly; a turn still running goes on."""
        LOGGER.debug("Satellite %s: session %s dismissed (%s)", self._sat, session.session_id, why)
        self._tracker.dismiss(session)
        if self._announce.protocol >= 2:  # noqa: PLR2004 - version 2 knows `dismiss`
            self._link.send_command(p.Dismiss(session.session_id))
        else:  # a version-1 satellite stops streaming on any state but listening
            self._link.send_state(p.State("idle", session.session_id))

    def session_aborted(self, session: Session) -> None:
        """Stop the pipeline of an aborted session."""
        self._arbiter.withdraw(session.session_id)
        if session.session_id == self._session_id and self._session_task is not None:
            self._run_current = False
            self._session_task.cancel()
            self.tts_response_finished()  # back to idle
            self._media_task(self._media.restore())

    async def _run_commands(self, session: Session, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            previous.cancel()
            await asyncio.wait([previous])
        phrase = None
        if session.reason == "wake_word":
            names = {w.id: w.name for w in self._announce.wake_words}
            phrase = names.get(session.wake_word_id or "")
            if not self._intercepting:
                phrase = self._arbiter.ha_phrase(session.wake_word_id or "", phrase)
        if self._entry.options.get(CONF_END_ON_COMMAND, DEFAULT_END_ON_COMMAND):
            # Read by our speech-to-text entity in the pipeline HA starts from this task.
            LISTENING.set(self._listening(session))
        try:
            await self.async_accept_pipeline_from_satellite(
                session.stream(),
                start_stage=PipelineStage.STT,
                end_stage=PipelineStage.TTS if self._can_answer else PipelineStage.INTENT,
                wake_word_phrase=phrase,
            )
        except HomeAssistantError as err:  # e.g. no pipeline or engine: tell the satellite
            LOGGER.warning("Pipeline for %s failed: %s", self._sat, err)
            self._send_state("idle", "pipeline_failed", str(err))
            self._media_task(self._media.restore())

    def _listening(self, session: Session) -> Listening:
        device = self.device_entry
        return Listening(
            self.hass,
            session,
            device_id=device.id if device else None,
            satellite_id=self.entity_id,
            area_id=device.area_id if device else None,
            on_complete=self._end_of_speech,
        )

    def _end_of_speech(self, session: Session, text: str) -> None:
        """A complete command was heard before the satellite's silence ran out: end it now."""
        if not self._tracker.end_of_speech(session):
            return
        LOGGER.debug("Satellite %s: %r is a complete command, listening ends", self._sat, text)
        if self._announce.protocol >= 2:  # noqa: PLR2004 - a version-1 satellite stops on `processing`
            self._link.send_command(p.EndOfSpeech(session.session_id))

    async def async_intercept_wake_word(self) -> str | None:
        """HA's wake word test: the next wake-up's phrase goes to HA unchanged."""
        self._intercepting = True
        try:
            return await super().async_intercept_wake_word()
        finally:
            self._intercepting = False

    # ---- pipeline events ----

    def on_pipeline_event(self, event: PipelineEvent) -> None:
        """Map pipeline events to `state`, and play the answer as soon as it streams."""
        current = self._tracker.current  # for the sensors: when the command's audio ended
        async_dispatcher_send(
            self.hass,
            SIGNAL_PIPELINE_EVENT.format(self._sat),
            event,
            current.last_audio if current else None,
        )
        data: dict[str, Any] = event.data or {}
        LOGGER.debug("Satellite %s pipeline event %s", self._sat, event.type)
        if not self._of_current_run(event):
            return
        if event.type is PipelineEventType.RUN_START:
            self._tts = dict(data.get("tts_output") or {})
        elif event.type is PipelineEventType.STT_END:
            text = (data.get("stt_output") or {}).get("text")
            self._transcript = str(text).strip()[: p.MAX_TEXT_CHARS] if text else None
        elif event.type is PipelineEventType.INTENT_PROGRESS and data.get("tts_start_streaming"):
            self._start_answer(None)  # the agent's answer streams into TTS: play it now
        elif state := _STATE_OF_EVENT.get(event.type):
            if event.type is PipelineEventType.TTS_START:
                self._start_answer(data.get("tts_input"))
            else:
                text = self._transcript if state == "processing" else None
                self._send_state(state, text=text)
        elif event.type is PipelineEventType.INTENT_END:
            self._follow_up = bool((data.get("intent_output") or {}).get("continue_conversation"))
        elif event.type is PipelineEventType.ERROR:
            self._send_state("idle", data.get("code"), data.get("message"))
            self._media_task(self._media.restore())
        elif event.type is PipelineEventType.RUN_END and self._answer_task is None:
            self._send_state("idle")
            self._media_task(self._media.restore())

    def _of_current_run(self, event: PipelineEvent) -> bool:
        """False for the events of a cancelled run (its run-end comes after the next start)."""
        if event.type is PipelineEventType.RUN_START:
            self._run_current = True
        elif not self._run_current:
            LOGGER.debug("Satellite %s: %s of a cancelled run ignored", self._sat, event.type)
        return self._run_current

    def _start_answer(self, text: str | None) -> None:
        """Play the run's TTS stream once (the first of streaming start and tts-start)."""
        token = self._tts.get("token")
        if self._answer_task is not None or not token or not self._session_id:
            return
        self._send_state("responding")
        LOGGER.debug("Satellite %s plays the answer of session %s", self._sat, self._session_id)
        # Not eagerly: HA sets the stream's message (or its acknowledge sound) right
        # after this event; reading the stream before that would wait forever.
        self._answer_task = self._entry.async_create_background_task(
            self.hass,
            self._answer(self._session_id, token, text),
            f"{DOMAIN}_{self._sat}_answer",
            eager_start=False,
        )

    def _cancel_answer(self) -> None:
        if self._answer_task is not None:
            self._answer_task.cancel()
            self._answer_task = None

    async def _answer(self, session_id: str, token: str, text: str | None) -> None:
        """Play the answer; then idle, or listen again when it asked something."""
        heard = False
        try:
            await self._playback.play(session_id, token, "answer", text, url=self._tts.get("url"))
            heard = True
        except (SpeechError, HomeAssistantError, OSError) as err:
            # OSError: HA's TTS stream passes its engine's errors on (a TTS server
            # that is down raises ConnectionRefusedError while the audio is read).
            LOGGER.warning("Could not play the answer on %s: %s", self._sat, err)
            if session_id == self._session_id:  # the satellite may sound an error
                self._send_state("idle", "answer_failed", str(err))
        finally:
            # A newer session (barge-in) owns the state now; only the current answer resets it.
            if session_id == self._session_id:
                self._answer_task = None
                self.tts_response_finished()
                self._send_state("idle")
                window = int(self._entry.options.get(CONF_FOLLOW_UP_S, DEFAULT_FOLLOW_UP_S))
                if heard and self._follow_up and window > 0:
                    self._follow_up = False
                    LOGGER.debug("Satellite %s listens for the answer to its question", self._sat)
                    self._link.send_command(self._listen(window))
                else:
                    self._media_task(self._media.restore())

    # ---- announcements, conversations, timers ----

    async def _announce_audio(
        self, announcement: AssistSatelliteAnnouncement, *, conversation: bool = False
    ) -> None:
        if not self._can_answer:
            raise HomeAssistantError(f"Satellite {self._sat} has no speaker")
        if announcement.tts_token is None:
            raise HomeAssistantError("MQTT satellites play announcements made by TTS only")
        stream_id = self._new_stream_id()
        if announcement.message and self._media.answer_player is None:
            text = announcement.message[: p.MAX_TEXT_CHARS]
            cmd = p.AnnounceText(text, stream_id, start_conversation=conversation)
            await self._link.command(cmd)
        await self._media.duck()
        try:
            await self._playback.play(
                stream_id,
                announcement.tts_token,
                "announcement",
                announcement.message,
                url=announcement.media_id,
            )
        except (SpeechError, HomeAssistantError, OSError) as err:
            raise HomeAssistantError(f"Could not play on {self._sat}: {err}") from err
        finally:
            await self._media.restore()

    async def async_announce(self, announcement: AssistSatelliteAnnouncement) -> None:
        """Play an announcement; returns once it has been heard."""
        await self._announce_audio(announcement)

    async def async_start_conversation(
        self, start_announcement: AssistSatelliteAnnouncement
    ) -> None:
        """Announce, then listen for the answer (HA's ask_question is built on this)."""
        await self._announce_audio(start_announcement, conversation=True)
        window = int(self._entry.options.get(CONF_FOLLOW_UP_S, DEFAULT_FOLLOW_UP_S))
        await self._link.command(self._listen(max(window, 1)))
