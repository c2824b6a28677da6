"""The MQTT side of the satellite entity: subscriptions, messages in, state out, wake words.

``assist_satellite.MqttAssistSatellite`` is the pipeline logic; this base
class wires it to the satellite's topics (``link``), keeps the announce up
to date, feeds the session tracker, and owns the parts the entity uses: the
area's media players, playback and timers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import TYPE_CHECKING, Final

from homeassistant.components.assist_satellite import (
    AssistSatelliteConfiguration,
    AssistSatelliteEntity,
    AssistSatelliteWakeWord,
)
from homeassistant.components.intent import async_register_timer_handler
from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from .. import protocol as p
from ..const import (
    CONF_ANSWER_PLAYER,
    CONF_DUCK,
    CONF_DUCK_PERCENT,
    DEFAULT_DUCK,
    DEFAULT_DUCK_PERCENT,
    DOMAIN,
    LOGGER,
)
from ..select import select_unique_ids
from .endpointing import silence_ms
from .link import SatelliteLink
from .media import AreaMedia, MediaOptions
from .playback import Playback
from .session import SessionTracker
from .timer_restore import read_back
from .timers import SatelliteTimers

_IDLE: Final = "idle"  # AssistSatelliteState.IDLE, a StrEnum
_SAY_WAIT_S: Final = 60.0  # a finished timer's sentence waits this long for a turn to end

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from homeassistant.components.mqtt import ReceiveMessage

    from ..models import SatelliteEntry
    from .session import Session


class MqttSatelliteBase(AssistSatelliteEntity):
    """MQTT wiring and shared parts of a Local Voice satellite entity."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_available = False  # until the satellite says `online`
    # WAV in the voice's own rate: HA converts nothing (no ffmpeg); the rate goes
    # to the satellite in audio/out/start.
    _attr_tts_options = {"preferred_format": "wav"}  # noqa: RUF012 - HA's attribute
    _link: SatelliteLink  # set when added to HA
    _playback: Playback
    _media: AreaMedia
    _timers: SatelliteTimers

    def __init__(self, entry: SatelliteEntry) -> None:
        self._entry = entry
        self._announce = entry.runtime_data.announce
        self._sat = self._announce.satellite_id
        self._tracker = SessionTracker(self._sat, self)
        options = entry.options
        self._media_options = MediaOptions(
            options.get(CONF_ANSWER_PLAYER) or None,
            bool(options.get(CONF_DUCK, DEFAULT_DUCK)),
            int(options.get(CONF_DUCK_PERCENT, DEFAULT_DUCK_PERCENT)),
        )
        self._tasks: set[asyncio.Task[None]] = set()

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

    @property
    def _can_answer(self) -> bool:
        """A speaker on the satellite, or a media player in its area for answers."""
        if self._announce.speaker:
            return True
        return hasattr(self, "_media") and self._media.answer_player is not None

    # ---- MQTT wiring ----

    async def async_added_to_hass(self) -> None:
        """Subscribe to the satellite's topics; register for HA's timers."""
        await super().async_added_to_hass()
        self._link = SatelliteLink(self.hass, self._entry, self._sat)
        self._media = AreaMedia(self.hass, self._sat, self._media_options)
        self._playback = Playback(self.hass, self._link, self._sat, self._media)
        self._timers = SatelliteTimers(
            self.hass,
            self._link,
            self._sat,
            rings=self._announce.protocol >= 2,  # noqa: PLR2004 - version 2 rings itself
            say=self._say,
        )
        unsubs = await self._link.async_subscribe(
            availability=self._on_availability,
            event=self._on_event,
            audio=self._on_audio,
            announce=self._on_announce,
            connection=self._on_connection,
        )
        retained: asyncio.Future[p.Timers] = self.hass.loop.create_future()
        rang = asyncio.Event()
        unsubs += [
            await self._link.subscribe(p.timers_topic(self._sat), self._on_timers(retained)),
            await self._link.subscribe(p.rang_topic(self._sat), self._on_rang(rang)),
        ]
        device_id = self.registry_entry.device_id if self.registry_entry else None
        if device_id is not None:
            self._timers.device_id = device_id
            unsubs.append(async_register_timer_handler(self.hass, device_id, self._timers.handle))
            self._entry.async_create_background_task(
                self.hass, read_back(self._timers, retained, rang), f"{DOMAIN}_{self._sat}_timers"
            )
        else:
            self._timers.ready = True
        for unsub in unsubs:
            self.async_on_remove(unsub)
        self.async_on_remove(self._shutdown)

    @callback
    def _shutdown(self) -> None:
        self._tracker.shutdown()
        for task in (*self._tasks, getattr(self, "_session_task", None)):
            if task is not None:
                task.cancel()
        self._playback.cancel_all()

    def _media_task(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a media-player call (ducking) without holding up the pipeline."""
        task = self.hass.async_create_task(coro, f"{DOMAIN}_{self._sat}_media")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _new_stream_id(self) -> str:
        return f"announce-{uuid.uuid4().hex[:12]}"

    def _send_state(
        self,
        state: str,
        code: str | None = None,
        message: str | None = None,
        *,
        text: str | None = None,
    ) -> None:
        session_id: str | None = getattr(self, "_session_id", None)
        msg = p.State(
            state, session_id, code, message[: p.MAX_TEXT_CHARS] if message else None, text
        )
        self._link.send_state(msg)

    def _send_endpointing(self) -> None:
        if self._announce.vad:
            self._link.send_command(p.SetEndpointing(silence_ms(self._entry.options)))

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
        elif self._timers.ready:
            self._timers.publish()  # a broker without persistence lost the retained timers

    @callback
    def _on_announce(self, msg: ReceiveMessage) -> None:
        if not msg.payload:
            return
        try:
            self._announce = p.parse_announce(_as_bytes(msg.payload), self._sat)
        except p.ProtocolError as err:
            LOGGER.warning("Satellite %s sent an invalid announce: %s", self._sat, err)
            return
        self._timers.rings = self._announce.protocol >= 2  # noqa: PLR2004

    def _on_timers(self, retained: asyncio.Future[p.Timers]) -> Any:
        @callback
        def handle(msg: ReceiveMessage) -> None:
            if retained.done() or not msg.payload or not msg.retain:
                return  # our own publishes: only the broker's retained copy is read back
            try:
                retained.set_result(p.parse_timers(_as_bytes(msg.payload)))
            except p.ProtocolError as err:
                LOGGER.warning("Retained timers of %s are invalid: %s", self._sat, err)
                retained.set_result(p.Timers())

        return handle

    def _on_rang(self, rang: asyncio.Event) -> Any:
        @callback
        def handle(msg: ReceiveMessage) -> None:
            if msg.payload:
                self._timers.on_rang(_as_bytes(msg.payload))
            rang.set()

        return handle

    @callback
    def _on_event(self, msg: ReceiveMessage) -> None:
        event = self._tracker.handle_event_payload(_as_bytes(msg.payload))
        if isinstance(event, p.Played):
            self._playback.on_played(event.stream_id)

    @callback
    def _on_audio(self, msg: ReceiveMessage) -> None:
        session_id = msg.topic.rsplit("/", 1)[-1]
        if not p.ID_PATTERN.fullmatch(session_id):
            LOGGER.warning("Audio on %s dropped: bad session id", msg.topic[:120])
            return
        self._tracker.handle_audio(session_id, _as_bytes(msg.payload))

    def session_failed(self, session_id: str | None, code: str, message: str) -> None:
        """Tell the satellite (the protocol's error event rides on `state`)."""
        self._link.send_state(p.State("idle", session_id, code, message[: p.MAX_TEXT_CHARS]))

    async def _say(self, text: str) -> None:
        """Say ``text`` (a finished timer) once the satellite is idle."""
        if not self._can_answer:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _SAY_WAIT_S
        while self.state != _IDLE and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        try:
            await self.async_internal_announce(message=text, preannounce=False)
        except HomeAssistantError as err:
            LOGGER.warning("Satellite %s could not say %r: %s", self._sat, text, err)

    def _listen(self, window_s: int) -> p.StartListening:
        """Listen for an answer without a wake word, for the follow-up window (version 2)."""
        v2 = self._announce.protocol >= 2  # noqa: PLR2004
        return p.StartListening(conversation=True, window_s=float(window_s) if v2 else None)

    def session_started(self, session: Session) -> None:
        """A session's audio is ready (the entity claims the turn or runs the pipeline)."""
        raise NotImplementedError

    def session_aborted(self, session: Session) -> None:
        """A session ended without a usable utterance."""
        raise NotImplementedError

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
