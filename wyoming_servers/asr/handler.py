"""One Wyoming speech-to-text connection: describe, transcribe, audio, transcript.

The plain form (what HA 2025.4 speaks): ``transcribe``, ``audio-start``,
``audio-chunk``..., ``audio-stop`` → ``transcript`` with the text and the
detected language. A client that asks for streaming
(``transcribe.context["streaming"] = true``) also gets ``transcript-start``
and ``transcript-chunk`` events while audio arrives (each chunk carries
only the newly stable words, so the chunks concatenate to the text), then
the final ``transcript`` (authoritative) and ``transcript-stop``.

A client that decides where the user stopped talking (Local Voice's
integration, semantic endpointing) asks for the words at each pause
(``context["pause_transcripts"] = true``): ``transcript-start``, then a
``transcript-chunk`` each time a decode at a pause is done while the speaker
is still quiet, carrying *all* the words heard up to that pause (a pause
ends the last word; a later decode may revise earlier words, so each chunk
replaces the one before rather than adding to it), then ``transcript`` and
``transcript-stop``. No periodic decodes are added.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from wyoming.asr import Transcribe, Transcript, TranscriptChunk, TranscriptStart, TranscriptStop
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.info import Describe

from wyoming_servers.core.audio import TARGET_RATE, AudioFormat
from wyoming_servers.core.connection import Connection, ConnectionContext
from wyoming_servers.core.errors import BadEventDataError, UnexpectedEventError

from .debug_recordings import save_utterance
from .utterance import PAUSE_SECONDS, EarlyDecode, Utterance
from .vocabulary import merge, validate_names
from .voice import VoiceTracker, voice_tracker

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from wyoming.event import Event

    from wyoming_servers.recordings import RecordingStore

    from .transcriber import Transcriber, TranscriptResult

_LOGGER = logging.getLogger(__name__)
MAX_LANGUAGE_CHARS: Final = 16
_REALTIME_SLACK: Final = 1.5
_MAX_EARLY_RTF: Final = 1.0


@dataclass(frozen=True, slots=True)
class AsrOptions:
    """Server-wide behaviour of every connection."""

    info_event: Event
    max_seconds: float = 30.0
    vocabulary: tuple[str, ...] = ()
    early_decode: bool = True
    early_interval: float = 0.5  # between partial decodes for clients that stream
    pause_seconds: float = PAUSE_SECONDS
    decode_ahead: bool = True  # endpointing: decode a pause from ``AHEAD_SECONDS`` into it
    voice_pauses: bool = True  # Silero must hear a voice too, in endpointing sessions (noise)
    recordings: RecordingStore | None = None  # opt-in encrypted debug recordings


def _retrieve_error(task: asyncio.Task[EarlyDecode | None]) -> None:
    """An early decode that failed is only a lost shortcut: log it, never crash."""
    if not task.cancelled() and (error := task.exception()) is not None:
        _LOGGER.warning("early decode failed: %s", error)


class AsrConnection(Connection):
    """Handles one client connection."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        context: ConnectionContext,
        *,
        transcriber: Transcriber,
        options: AsrOptions,
    ) -> None:
        super().__init__(reader, writer, context)
        self.transcriber = transcriber
        self.options = options
        self.request: Transcribe | None = None
        self.utterance: Utterance | None = None
        self._voice: VoiceTracker | None = None

    async def handle_event(self, event: Event) -> bool:
        """Dispatch by type; unknown types are ignored."""
        if Describe.is_type(event.type):
            self.metrics.request("describe")
            await self.write_event(self.options.info_event)
        elif Transcribe.is_type(event.type):
            self.request = self._parse_transcribe(event)
        elif AudioStart.is_type(event.type):
            self._start(AudioFormat.from_data(event.data))
        elif AudioChunk.is_type(event.type):
            await self._chunk(event)
        elif AudioStop.is_type(event.type):
            await self._stop()
        else:
            _LOGGER.debug("ignoring event %s", event.type)
        return True

    def _parse_transcribe(self, event: Event) -> Transcribe:
        data = event.data
        for key in ("name", "language"):
            value = data.get(key)
            if value is not None and (
                not isinstance(value, str) or len(value) > MAX_LANGUAGE_CHARS * 8
            ):
                raise BadEventDataError(f"transcribe {key} must be a short string")
        language = data.get("language")
        if language is not None and len(language) > MAX_LANGUAGE_CHARS:
            raise BadEventDataError("transcribe language must be a language code such as 'en'")
        context = data.get("context")
        if context is not None and not isinstance(context, dict):
            raise BadEventDataError("transcribe context must be an object")
        request = Transcribe(
            name=data.get("name"),
            language=language or None,
            context=context,
            transcript_names=validate_names(data.get("transcript_names"), "transcript_names"),
            transcript_terms=validate_names(data.get("transcript_terms"), "transcript_terms"),
        )
        self._context_vocabulary(request)  # validate now, not at audio-stop
        return request

    @staticmethod
    def _context_vocabulary(request: Transcribe) -> list[str]:
        context = request.context or {}
        return validate_names(context.get("vocabulary"), "context.vocabulary")

    def _start(self, fmt: AudioFormat) -> None:
        self._cancel_early()
        request = self.request or Transcribe()
        context = request.context or {}
        vocabulary = merge(
            request.transcript_names or [],
            request.transcript_terms or [],
            self._context_vocabulary(request),
            self.options.vocabulary,
        )
        pause_transcripts = context.get("pause_transcripts") is True
        self.utterance = Utterance(
            fmt=fmt,
            max_seconds=self.options.max_seconds,
            language=request.language,
            vocabulary=vocabulary,
            streaming=context.get("streaming") is True or context.get("stream") is True,
            pause_transcripts=pause_transcripts,
            pause_seconds=self.options.pause_seconds,
            voice=self._voice_for(fmt) if pause_transcripts else None,
        )
        self.transcriber.receiving += 1
        self.utterance.counted = True

    def _voice_for(self, fmt: AudioFormat) -> VoiceTracker | None:
        """The connection's Silero tracker, reset, for 16 kHz audio (None: loudness only)."""
        if not self.options.voice_pauses or fmt.rate != TARGET_RATE:
            return None
        if self._voice is None:
            self._voice = voice_tracker()
        else:
            self._voice.reset()
        return self._voice

    async def _chunk(self, event: Event) -> None:
        utterance = self.utterance
        if utterance is None:
            raise UnexpectedEventError("audio-chunk before audio-start")
        fmt_data = {k: event.data.get(k, getattr(utterance.fmt, k)) for k in ("rate", "width")}
        fmt_data["channels"] = event.data.get("channels", utterance.fmt.channels)
        seconds = utterance.add(event.payload or b"", AudioFormat.from_data(fmt_data))
        self.metrics.audio("in", seconds)
        self._maybe_decode_early(utterance)
        await self._send_pause_words(utterance)  # a decode ahead of a pause that is one now

    def _maybe_decode_early(self, utterance: Utterance) -> None:
        """Decode what has arrived when it can only help.

        When the speaker pauses after new speech: the audio up to that pause
        is what the transcript decodes if only quiet follows
        (``Utterance.decode_frames``), so that decode is usually the answer,
        costs no extra work, only starts the work earlier, and runs even
        while other clients speak or decode (it waits for a worker like any
        decode). For clients that asked for partial transcripts, also every
        ``early_interval`` seconds of audio, but only for one speaker at a
        time with the model idle: periodic decodes are extra work, and one
        under way when the speaker stops would delay the decode that matters.
        For endpointing (``pause_transcripts``) the decode of a pause starts
        ahead of it, ``AHEAD_SECONDS`` into the quiet, with the model idle,
        and is done ~90 ms sooner than a decode started at the pause; speech
        before the pause wastes it. Its words go out by ``_send_pause_words``.
        None at all while decoding runs slower than real time (a saturated CPU).
        """
        transcriber = self.transcriber
        if not self.options.early_decode or transcriber.recent_rtf > _MAX_EARLY_RTF:
            return
        if utterance.early_task is not None and not utterance.early_task.done():
            return  # one at a time; a pause reached meanwhile is decoded when it is done
        covered = utterance.stands_for(utterance.early_frames) == utterance.pause_at
        paused = utterance.pause_at > utterance.early_frames and not covered
        ahead = (
            self.options.decode_ahead
            and utterance.pause_transcripts
            and not utterance.streaming
            and utterance.ahead_at > max(utterance.early_frames, utterance.speech_end)
            and utterance.pause_at < utterance.ahead_at
            and not transcriber.busy
        )
        new_seconds = (utterance.frames - utterance.early_frames) / utterance.fmt.rate
        periodic = (
            utterance.streaming
            and new_seconds >= self.options.early_interval
            and not transcriber.busy
            and transcriber.receiving <= 1
        )
        if not (paused or ahead or periodic):
            return
        # Audio sent faster than real time (a file, not a microphone) will be
        # complete soon: an early decode would only compete with the final one.
        elapsed = time.monotonic() - utterance.started_at
        if utterance.seconds > elapsed * _REALTIME_SLACK + self.options.early_interval:
            return
        if paused:
            frames, audio = utterance.pause_at, utterance.audio_16k(utterance.pause_at)
        elif ahead:
            frames, audio = utterance.ahead_at, utterance.ahead_audio()
        else:
            frames, audio = utterance.frames, utterance.audio_16k()
        utterance.early_frames = frames
        utterance.early_task = asyncio.create_task(
            self._decode_early(utterance, frames, audio, at_pause=paused or ahead)
        )
        utterance.early_task.add_done_callback(_retrieve_error)

    async def _decode_early(
        self,
        utterance: Utterance,
        frames: int,
        audio: npt.NDArray[np.float32],
        *,
        at_pause: bool,
    ) -> EarlyDecode | None:
        """Decode ``audio`` (of the first ``frames`` frames); one at a pause may be the answer."""
        started = time.perf_counter()
        result = await self._transcribe(utterance, audio)
        _LOGGER.debug(
            "early decode of %.2f s (%s) in %.3f s, %.2f s of audio received by then: %r",
            frames / utterance.fmt.rate,
            "at a pause" if at_pause else "periodic",
            time.perf_counter() - started,
            utterance.seconds,
            result.text,
        )
        early = EarlyDecode(frames=frames, result=result)
        if self.utterance is utterance:
            if at_pause:
                utterance.early = early
            if utterance.streaming:
                await self._stream_words(utterance, result, final=False)
            elif at_pause:
                await self._send_pause_words(utterance)
        return early

    async def _send_pause_words(self, utterance: Utterance) -> None:
        """For endpointing: the words of the decode at the pause, while the pause goes on.

        Once per decode, when it is done, the quiet it was decoded for has
        become a pause (a decode ahead of it waits for that), and no speech
        came since; words that end in a comma wait longer (``words_may_go``).
        """
        early = utterance.early
        if (
            early is None
            or not utterance.pause_transcripts
            or utterance.streaming
            or early.frames == utterance.sent_pause
            or utterance.stands_for(early.frames) != utterance.pause_at
            or utterance.speech_end >= early.frames
        ):
            return
        if not utterance.words_may_go(early.result.text):
            return  # the next audio chunk asks again
        utterance.sent_pause = early.frames
        await self._start_stream(utterance, early.result)
        await self.write_event(TranscriptChunk(text=early.result.text.strip()).event())

    async def _start_stream(self, utterance: Utterance, result: TranscriptResult) -> None:
        if not utterance.started_stream:
            utterance.started_stream = True
            await self.write_event(TranscriptStart(language=result.language).event())

    async def _stream_words(
        self, utterance: Utterance, result: TranscriptResult, *, final: bool
    ) -> None:
        """Send the words that extend what was already sent (the last one only when final)."""
        await self._start_stream(utterance, result)
        if (text := utterance.next_chunk(result.text, final=final)) is not None:
            await self.write_event(TranscriptChunk(text=text).event())

    async def _stop(self) -> None:
        utterance = self.utterance
        if utterance is None:
            raise UnexpectedEventError("audio-stop before audio-start")
        stopped = time.perf_counter()
        self.metrics.request("transcribe")
        self._release(utterance)  # no longer receiving; decoding now
        result = await self._final_result(utterance)
        latency = time.perf_counter() - stopped
        self.metrics.latency("audio_stop_to_transcript", latency)
        _LOGGER.debug(
            "transcript in %.3f s for %.2f s of audio (%.2f s decoded): %r (%s)",
            latency,
            utterance.seconds,
            utterance.decode_frames() / utterance.fmt.rate,
            result.text,
            result.language,
        )
        streams = utterance.streaming or utterance.pause_transcripts
        if utterance.streaming:
            await self._stream_words(utterance, result, final=True)
        elif streams:
            await self._start_stream(utterance, result)
        await self.write_event(Transcript(text=result.text, language=result.language).event())
        if streams:
            await self.write_event(TranscriptStop().event())
        self._cancel_early()
        if self.options.recordings is not None:
            audio = utterance.audio_16k()
            await save_utterance(self.options.recordings, audio, result.text, result.language)
        self.request = None

    async def _final_result(self, utterance: Utterance) -> TranscriptResult:
        """The early decode of exactly the audio to decode, else a decode of that audio.

        The audio to decode ends at the pause after the last speech
        (``Utterance.decode_frames``). When the early decode at that pause is
        done or under way, it is the answer; otherwise (speech came after
        it, or no pause was reached) a decode of the same audio runs now.
        """
        frames = utterance.decode_frames()
        task = utterance.early_task
        running = task is not None and not task.done()
        early: EarlyDecode | None = None
        answers_for = utterance.stands_for
        if utterance.early is not None and answers_for(utterance.early.frames) == frames:
            early = utterance.early
        elif task is not None and running and answers_for(utterance.early_frames) == frames:
            early = await task
        if early is not None:
            ahead = early.frames != frames  # decoded ahead of its pause (``AHEAD_SECONDS``)
            _LOGGER.debug("using the early decode (only quiet after its pause%s)",
                          ", decoded ahead of it" if ahead else "")  # fmt: skip
            self.metrics.early_decode("ahead" if ahead else "used")
            return early.result
        self.metrics.early_decode("final")
        if task is not None and running:
            # Speech came after it: a queued early decode would only add work.
            # Wait until it has let go of its count in the transcriber, so that
            # this decode does not take it for another client's (load).
            task.cancel()
            await asyncio.wait({task})
        return await self._transcribe(utterance, utterance.audio_16k(frames))

    async def _transcribe(
        self, utterance: Utterance, audio: npt.NDArray[np.float32]
    ) -> TranscriptResult:
        transcriber = self.transcriber
        result = await transcriber.transcribe(
            audio,
            language=utterance.language,
            vocabulary=utterance.vocabulary,
            others_receiving=transcriber.receiving - int(utterance.counted),
        )
        self.metrics.decode("busy" if result.under_load else "full")
        return result

    def _release(self, utterance: Utterance) -> None:
        if utterance.counted:
            utterance.counted = False
            self.transcriber.receiving -= 1

    def _cancel_early(self) -> None:
        if self.utterance is not None:
            self._release(self.utterance)
            if self.utterance.early_task is not None:
                self.utterance.early_task.cancel()
        self.utterance = None

    async def disconnect(self) -> None:
        """Drop any half-received utterance."""
        self._cancel_early()
