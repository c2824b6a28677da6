"""One Assist satellite entity per MQTT satellite.

As in HA's ESPHome satellite: a session's audio goes into a queue
(``satellite.session``), an async generator feeds
``async_accept_pipeline_from_satellite`` (HA passes this entity as the
satellite, so "turn on the light" means its area), the pipeline runs as a
config-entry background task, and pipeline events become ``state`` messages.
The answer is HA's own text to speech, read as it is made: playback starts
when the pipeline starts streaming the agent's answer into TTS (or at
``tts-start``), so the first sentence plays while the model writes the rest,
and goes to the satellite as PCM (``satellite.tts``, ``satellite.answer``).
Only public hooks of HA's satellite entity are used: ``tts_response_finished``,
``_attr_tts_options``, and the pipeline and voice-detector selects.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import tts
from homeassistant.components.assist_pipeline import PipelineEvent, PipelineEventType
from homeassistant.components.assist_pipeline.pipeline import PipelineStage
from homeassistant.components.assist_satellite import (
    AssistSatelliteAnnouncement,
    AssistSatelliteConfiguration,
    AssistSatelliteEntity,
    AssistSatelliteEntityFeature,
    AssistSatelliteWakeWord,
)
from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send

from . import protocol as p
from .const import CONF_SILENCE_MS, DOMAIN, LOGGER, SIGNAL_PIPELINE_EVENT
from .entity import satellite_device_info
from .satellite.answer import publish_pcm
from .satellite.link import SatelliteLink
from .satellite.session import Session, SessionTracker
from .satellite.tts import SpeechError, pcm_from_wav
from .select import select_unique_ids

if TYPE_CHECKING:
    from homeassistant.components.mqtt import ReceiveMessage
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .models import SatelliteEntry

PLAYED_GRACE_SECONDS: Final = 3.0  # the satellite's `played` may come this long after the audio
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


class MqttAssistSatellite(AssistSatelliteEntity):
    """An MQTT satellite speaking the Local Voice protocol."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_available = False  # until the satellite says `online`
    # WAV in the voice's own rate: HA converts nothing (no ffmpeg); the rate goes
    # to the satellite in audio/out/start.
    _attr_tts_options = {tts.ATTR_PREFERRED_FORMAT: "wav"}  # noqa: RUF012 - HA's attribute
    _link: SatelliteLink  # set when added to HA

    def __init__(self, entry: SatelliteEntry) -> None:
        self._entry = entry
        self._announce = entry.runtime_data.announce
        sat = self._sat = self._announce.satellite_id
        self._attr_unique_id = f"{sat}-assist_satellite"
        self._attr_device_info = satellite_device_info(self._announce)
        if self._announce.speaker:
            self._attr_supported_features = (
                AssistSatelliteEntityFeature.ANNOUNCE
                | AssistSatelliteEntityFeature.START_CONVERSATION
            )
        self._tracker = SessionTracker(sat, self)
        self._session_task: asyncio.Task[None] | None = None
        self._session_id: str | None = None
        self._tts_token: str | None = None
        self._answer_task: asyncio.Task[None] | None = None
        self._played: dict[str, asyncio.Future[None]] = {}
        # The agent asked something ("Did you mean ...?", "Are you sure?"): once the
        # question is heard, the satellite listens for the answer without a wake word.
        self._follow_up = False
        # Events of a pipeline whose session was cancelled or superseded still come
        # (its run-end) after the next session started; they must not reach it.
        self._run_current = False

    # ---- HA's hooks ----

    @property
    def pipeline_entity_id(self) -> str | None:
        """The satellite's pipeline select."""
        return self._select_entity_id(0)

    @property
    def vad_sensitivity_entity_id(self) -> str | None:
        """The satellite's voice-detector select."""
        return self._select_entity_id(1)

    def _select_entity_id(self, index: int) -> str | None:
        unique_id = select_unique_ids(self._sat)[index]
        return er.async_get(self.hass).async_get_entity_id(Platform.SELECT, DOMAIN, unique_id)

    # ---- MQTT wiring ----

    async def async_added_to_hass(self) -> None:
        """Subscribe to the satellite's topics."""
        await super().async_added_to_hass()
        self._link = SatelliteLink(self.hass, self._entry, self._sat)
        unsubs = await self._link.async_subscribe(
            availability=self._on_availability,
            event=self._on_event,
            audio=self._on_audio,
            announce=self._on_announce,
            connection=self._on_connection,
        )
        for unsub in unsubs:
            self.async_on_remove(unsub)
        self.async_on_remove(self._shutdown)

    @callback
    def _shutdown(self) -> None:
        self._tracker.shutdown()
        for task in (self._session_task, self._answer_task):
            if task is not None:
                task.cancel()
        for fut in self._played.values():
            fut.cancel()

    def _send_state(self, state: str, code: str | None = None, message: str | None = None) -> None:
        msg = p.State(
            state, self._session_id, code, message[: p.MAX_TEXT_CHARS] if message else None
        )
        self._link.send_state(msg)

    def _send_endpointing(self) -> None:
        if self._announce.vad and (silence := self._entry.options.get(CONF_SILENCE_MS)):
            self._link.send_command(p.SetEndpointing(int(silence)))

    @callback
    def _on_availability(self, msg: ReceiveMessage) -> None:
        online = msg.payload in {p.ONLINE, p.ONLINE.encode()}
        if not online:
            self._tracker.abort_current("satellite_offline", "the satellite went offline")
        elif not self._attr_available:
            self._send_endpointing()
        self._attr_available = online
        self.async_write_ha_state()

    @callback
    def _on_connection(self, connected: bool) -> None:
        if not connected:
            self._tracker.abort_current("broker_disconnected", "lost the MQTT broker mid-session")

    @callback
    def _on_announce(self, msg: ReceiveMessage) -> None:
        if not msg.payload:
            return
        try:
            self._announce = p.parse_announce(_as_bytes(msg.payload), self._sat)
        except p.ProtocolError as err:
            LOGGER.warning("Satellite %s sent an invalid announce: %s", self._sat, err)

    @callback
    def _on_event(self, msg: ReceiveMessage) -> None:
        event = self._tracker.handle_event_payload(_as_bytes(msg.payload))
        fut = self._played.get(event.stream_id) if isinstance(event, p.Played) else None
        if fut is not None and not fut.done():
            fut.set_result(None)

    @callback
    def _on_audio(self, msg: ReceiveMessage) -> None:
        session_id = msg.topic.rsplit("/", 1)[-1]
        if not p.ID_PATTERN.fullmatch(session_id):
            LOGGER.warning("Audio on %s dropped: bad session id", msg.topic[:120])
            return
        self._tracker.handle_audio(session_id, _as_bytes(msg.payload))

    # ---- sessions (SessionListener) ----

    def session_started(self, session: Session) -> None:
        """Run the pipeline on the new session's audio."""
        previous = self._session_task
        self._cancel_answer()
        self._session_id = session.session_id
        self._tts_token = None
        self._follow_up = False
        self._run_current = False  # until this session's pipeline starts
        self._session_task = self._entry.async_create_background_task(
            self.hass, self._run_commands(session, previous), f"{DOMAIN}_{self._sat}_session"
        )

    def session_aborted(self, session: Session) -> None:
        """Stop the pipeline of an aborted session."""
        if session.session_id == self._session_id and self._session_task is not None:
            self._run_current = False
            self._session_task.cancel()
            self.tts_response_finished()  # back to idle

    def session_failed(self, session_id: str | None, code: str, message: str) -> None:
        """Tell the satellite (the protocol's error event rides on `state`)."""
        self._link.send_state(p.State("idle", session_id, code, message[: p.MAX_TEXT_CHARS]))

    async def _run_commands(self, session: Session, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            previous.cancel()
            await asyncio.wait([previous])
        names = {w.id: w.name for w in self._announce.wake_words}
        try:
            await self.async_accept_pipeline_from_satellite(
                session.stream(),
                start_stage=PipelineStage.STT,
                end_stage=PipelineStage.TTS if self._announce.speaker else PipelineStage.INTENT,
                wake_word_phrase=names.get(session.wake_word_id or ""),
            )
        except HomeAssistantError as err:  # e.g. no pipeline or engine: tell the satellite
            LOGGER.warning("Pipeline for %s failed: %s", self._sat, err)
            self._send_state("idle", "pipeline_failed", str(err))

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
            self._tts_token = (data.get("tts_output") or {}).get("token")
        elif event.type is PipelineEventType.INTENT_PROGRESS and data.get("tts_start_streaming"):
            self._start_answer(None)  # the agent's answer streams into TTS: play it now
        elif state := _STATE_OF_EVENT.get(event.type):
            if event.type is PipelineEventType.TTS_START:
                self._start_answer(data.get("tts_input"))
            else:
                self._send_state(state)
        elif event.type is PipelineEventType.INTENT_END:
            self._follow_up = bool((data.get("intent_output") or {}).get("continue_conversation"))
        elif event.type is PipelineEventType.ERROR:
            self._send_state("idle", data.get("code"), data.get("message"))
        elif event.type is PipelineEventType.RUN_END and self._answer_task is None:
            self._send_state("idle")

    def _of_current_run(self, event: PipelineEvent) -> bool:
        """False for the events of a cancelled run (its run-end comes after the next start)."""
        if event.type is PipelineEventType.RUN_START:
            self._run_current = True
        elif not self._run_current:
            LOGGER.debug("Satellite %s: %s of a cancelled run ignored", self._sat, event.type)
        return self._run_current

    def _start_answer(self, text: str | None) -> None:
        """Play the run's TTS stream once (the first of streaming start and tts-start)."""
        if self._answer_task is not None or not self._tts_token or not self._session_id:
            return
        self._send_state("responding")
        LOGGER.debug("Satellite %s plays the answer of session %s", self._sat, self._session_id)
        # Not eagerly: HA sets the stream's message (or its acknowledge sound) right
        # after this event; reading the stream before that would wait forever.
        self._answer_task = self._entry.async_create_background_task(
            self.hass,
            self._play(self._session_id, self._tts_token, "answer", text),
            f"{DOMAIN}_{self._sat}_answer",
            eager_start=False,
        )

    # ---- answer audio and announcements ----

    def _cancel_answer(self) -> None:
        if self._answer_task is not None:
            self._answer_task.cancel()
            self._answer_task = None

    async def _play(self, stream_id: str, token: str, kind: str, text: str | None) -> None:
        """Stream TTS audio to the satellite and wait until it says it has played it."""
        heard = False
        try:
            fut = self._played[stream_id] = self.hass.loop.create_future()
            fmt, pcm = await pcm_from_wav(_tts_stream(self.hass, token).async_stream_result())
            LOGGER.debug("Satellite %s: %s audio is %s", self._sat, kind, fmt)
            seconds = await publish_pcm(
                self._link.publish, self._sat, stream_id, fmt, pcm, kind=kind, text=text
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, seconds + PLAYED_GRACE_SECONDS)
            heard = True
        except (SpeechError, HomeAssistantError, OSError) as err:
            # OSError: HA's TTS stream passes its engine's errors on (a TTS server
            # that is down raises ConnectionRefusedError while the audio is read).
            LOGGER.warning("Could not play %s on %s: %s", kind, self._sat, err)
            if kind == "answer" and stream_id == self._session_id:
                # Tell the satellite at once (it may sound an error); idle follows below.
                self._send_state("idle", "answer_failed", str(err))
            if kind != "answer":
                raise HomeAssistantError(f"Could not play on {self._sat}: {err}") from err
        finally:
            self._played.pop(stream_id, None)
            # A newer session (barge-in) owns the state now; only the current answer resets it.
            if kind == "answer" and stream_id == self._session_id:
                self._answer_task = None
                self.tts_response_finished()
                self._send_state("idle")
                if heard and self._follow_up:
                    self._follow_up = False
                    LOGGER.debug("Satellite %s listens for the answer to its question", self._sat)
                    self._link.send_command(p.StartListening(conversation=True))

    async def _announce_audio(
        self, announcement: AssistSatelliteAnnouncement, *, conversation: bool
    ) -> None:
        if not self._announce.speaker:
            raise HomeAssistantError(f"Satellite {self._sat} has no speaker")
        if announcement.tts_token is None:
            raise HomeAssistantError("MQTT satellites play announcements made by TTS only")
        stream_id = f"announce-{uuid.uuid4().hex[:12]}"
        if announcement.message:
            cmd = p.AnnounceText(announcement.message[: p.MAX_TEXT_CHARS], stream_id, conversation)
            await self._link.command(cmd)
        await self._play(stream_id, announcement.tts_token, "announcement", announcement.message)

    async def async_announce(self, announcement: AssistSatelliteAnnouncement) -> None:
        """Play an announcement; returns once the satellite has played it."""
        await self._announce_audio(announcement, conversation=False)

    async def async_start_conversation(
        self, start_announcement: AssistSatelliteAnnouncement
    ) -> None:
        """Announce, then ask the satellite to listen for the answer (HA's ask_question too)."""
        await self._announce_audio(start_announcement, conversation=True)
        await self._link.command(p.StartListening(conversation=True))

    # ---- wake words ----

    @callback
    def async_get_configuration(self) -> AssistSatelliteConfiguration:
        """Wake words as the satellite announced them."""
        return AssistSatelliteConfiguration(
            available_wake_words=[
                AssistSatelliteWakeWord(w.id, w.name, []) for w in self._announce.wake_words
            ],
            active_wake_words=list(self._announce.active_wake_words),
            max_active_wake_words=self._announce.max_active_wake_words,
        )

    async def async_set_configuration(self, config: AssistSatelliteConfiguration) -> None:
        """Send the active wake words to the satellite."""
        available = {w.id for w in self._announce.wake_words}
        active = tuple(config.active_wake_words)
        if unknown := set(active) - available:
            raise HomeAssistantError(f"Unknown wake words: {sorted(unknown)}")
        limit = self._announce.max_active_wake_words
        if limit and len(active) > limit:
            raise HomeAssistantError(f"At most {limit} wake words can be active")
        await self._link.command(p.SetWakeWords(active))
        self._announce = dataclasses.replace(self._announce, active_wake_words=active)


def _as_bytes(payload: str | bytes | bytearray) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def _tts_stream(hass: HomeAssistant, token: str) -> tts.ResultStream:
    if (stream := tts.async_get_stream(hass, token)) is None:
        raise HomeAssistantError(f"TTS stream {token} is gone")
    return stream
