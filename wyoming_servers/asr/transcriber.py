"""The faster-whisper model, loaded once and shared by every connection.

Inference runs in a thread pool of ``num_workers`` threads (CTranslate2
releases the GIL and runs that many decodes in parallel), never on the event
loop. Settings chosen by measurement on the dev sets and our 84-command
set (see docs/asr.md): beam 5 (greedy lost 2 of 112 words), the vocabulary
as initial prompt, a 15 s encoder window (``window.py``: half the decode
time, fewer errors), no timestamps (a shorter decode), no conditioning on
previous text, no VAD filter (commands are short). A connection also decodes
while audio arrives (see ``utterance.py``). A decode that starts while
another is in flight is greedy in a 10 s window (``decode_settings``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from wyoming_servers.core.audio import TARGET_RATE
from wyoming_servers.core.errors import InferenceError
from wyoming_servers.models import resolve_whisper_model

from .decode_settings import DecodeSettings, decode_settings, decode_threads, wider_windows
from .speech_level import without_leading_silence
from .vocabulary import initial_prompt
from .window import WindowedWhisperModel, looks_repetitive, max_new_tokens, window_frames

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from faster_whisper.transcribe import TranscriptionInfo

    from wyoming_servers.models import WhisperModelInfo

_LOGGER = logging.getLogger(__name__)

DEVICES: Final = ("auto", "cpu", "cuda")


def cuda_available() -> bool:
    """Whether CTranslate2 sees a CUDA device."""
    try:
        import ctranslate2  # noqa: PLC0415 - only needed for this probe

        return int(ctranslate2.get_cuda_device_count()) > 0
    except (ImportError, RuntimeError, OSError):
        return False


def pick_device(device: str, compute_type: str | None) -> tuple[str, str]:
    """``auto`` means CUDA with float16 when present, else CPU with int8."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    default = "float16" if device == "cuda" else "int8"
    return device, compute_type or default


@dataclass(frozen=True, slots=True)
class TranscriberConfig:
    """How to load and run the model."""

    model: str = "tiny.en"
    device: str = "auto"
    compute_type: str | None = None
    beam_size: int = 5
    language: str | None = None
    num_workers: int = 2
    cpu_threads: int = 0  # 0: the cores shared among the workers (``decode_threads``)
    encoder_window: float = 15.0  # seconds; 30 is Whisper's own window
    vocabulary: tuple[str, ...] = field(default_factory=tuple)
    # A decode that starts while another is in flight (``under_load``).
    busy_beam_size: int = 1
    busy_encoder_window: float = 10.0


@dataclass(frozen=True, slots=True)
class TranscriptResult:
    """Text, the language it was heard in, and how long inference took."""

    text: str
    language: str
    language_probability: float
    inference_seconds: float
    under_load: bool = False


class Transcriber:
    """Loads the model once; ``transcribe`` runs it off the event loop."""

    def __init__(self, config: TranscriberConfig) -> None:
        self.config = config
        self.info: WhisperModelInfo = resolve_whisper_model(config.model)
        self.device, self.compute_type = pick_device(config.device, config.compute_type)
        started = time.perf_counter()
        _LOGGER.info(
            "loading %s from %s on %s (%s)",
            self.info.name,
            self.info.path,
            self.device,
            self.compute_type,
        )
        self.model = WindowedWhisperModel(
            str(self.info.path),
            window=window_frames(config.encoder_window),
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=config.cpu_threads or decode_threads(config.num_workers),
            num_workers=config.num_workers,
            local_files_only=True,
        )
        self.load_seconds = time.perf_counter() - started
        _LOGGER.info("model loaded in %.2f s", self.load_seconds)
        self.english_only = self.info.languages == ("en",) or not self.model.model.is_multilingual
        self._executor = ThreadPoolExecutor(
            max_workers=config.num_workers, thread_name_prefix="whisper"
        )
        self._busy = 0
        self._lock = threading.Lock()
        self._idle = DecodeSettings(config.beam_size, window_frames(config.encoder_window))
        self._busy_settings = DecodeSettings(
            config.busy_beam_size, window_frames(config.busy_encoder_window), under_load=True
        )
        self.receiving = 0  # connections receiving audio now (each counts itself)
        self.recent_rtf = 0.0  # moving average of inference time / audio time

    @property
    def busy(self) -> int:
        """Decodes running or queued right now."""
        return self._busy

    @property
    def languages(self) -> list[str]:
        """Languages the model can transcribe."""
        if self.english_only:
            return ["en"]
        from faster_whisper.tokenizer import _LANGUAGE_CODES  # noqa: PLC0415

        return sorted(_LANGUAGE_CODES)

    def close(self) -> None:
        """Stop the worker threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def transcribe(
        self,
        audio: npt.NDArray[np.float32],
        *,
        language: str | None = None,
        vocabulary: tuple[str, ...] = (),
        others_receiving: int = 0,
    ) -> TranscriptResult:
        """Transcribe 16 kHz mono float audio in a worker thread.

        ``others_receiving``: other connections receiving audio now, each a
        decode about to come (``decode_settings``).
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            self._busy += 1
            # Counted here on the event loop, not when a worker picks the decode up:
            # the count then depends on what the loop has done, not on thread timing.
            in_flight = self._busy + max(others_receiving, 0)
        try:
            return await loop.run_in_executor(
                self._executor, self._transcribe_sync, audio, language, vocabulary, in_flight
            )
        finally:
            with self._lock:
                self._busy -= 1

    def _transcribe_sync(
        self,
        audio: npt.NDArray[np.float32],
        language: str | None,
        vocabulary: tuple[str, ...],
        in_flight: int,
    ) -> TranscriptResult:
        started = time.perf_counter()
        audio = without_leading_silence(audio)
        language = "en" if self.english_only else language or self.config.language
        prompt = initial_prompt(vocabulary or self.config.vocabulary)
        settings = decode_settings(self._idle, self._busy_settings, audio.size, in_flight=in_flight)
        if settings.under_load:
            _LOGGER.debug("%d decodes in flight: beam %d", in_flight, settings.beam_size)
        try:
            for window in wider_windows(settings.window, self._idle.window, audio.size):
                self.model.thread_window(window)
                text, info = self._decode(audio, language, prompt, settings.beam_size)
                if not looks_repetitive(text, audio.size / TARGET_RATE):
                    break
                _LOGGER.debug("repetitive in a %d-frame window, decoding again: %r", window, text)
        except (RuntimeError, ValueError) as err:
            _LOGGER.exception("inference failed")
            raise InferenceError("speech recognition failed on this audio") from err
        finally:
            self.model.thread_window(None)
        seconds = time.perf_counter() - started
        rtf = seconds / max(audio.size / 16000, 0.5)
        self.recent_rtf = rtf if not self.recent_rtf else 0.7 * self.recent_rtf + 0.3 * rtf
        return TranscriptResult(
            text=text,
            language=info.language,
            language_probability=float(info.language_probability),
            inference_seconds=seconds,
            under_load=settings.under_load,
        )

    def _decode(
        self,
        audio: npt.NDArray[np.float32],
        language: str | None,
        prompt: str | None,
        beam_size: int,
    ) -> tuple[str, TranscriptionInfo]:
        segments, info = self.model.transcribe(
            audio,
            language=language,
            beam_size=beam_size,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            initial_prompt=prompt,
            max_new_tokens=max_new_tokens(audio.size / TARGET_RATE),
        )
        return " ".join(segment.text.strip() for segment in segments).strip(), info
