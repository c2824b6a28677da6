"""One answer's audio on its way to the client: encoded off the event loop, then sent.

A streamed format gets its status line and headers when the TTS server
starts the audio, then every chunk the encoder gives is written at once
(chunked transfer encoding). A format sent whole is encoded to the end
first and answered with a ``Content-Length``; until then an error is still
a JSON error, and its PCM is capped (:data:`MAX_WHOLE_PCM_BYTES`, about
25 minutes of the bundled voice) so a runaway server cannot fill the memory.

Every encoder call runs in a worker thread; a request that ends early (the
client left, a timeout) closes its encoder there too, after any call still
running, and nothing of it touches another request.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from aiohttp import web

from .encoding import SAMPLE_WIDTH, EncodingError, SpeechEncoder
from .errors import ApiError, too_large
from .state import STREAMING

if TYPE_CHECKING:
    from collections.abc import Callable

    from wyoming.audio import AudioStart

    from wyoming_servers.core.metrics import ServerMetrics

    from .encoding import SpeechFormat

MAX_WHOLE_PCM_BYTES: Final = 64 * 1024 * 1024


def _bad_audio(err: EncodingError) -> ApiError:
    return ApiError(502, f"tts: {err}", code="bad-upstream-reply")


class SpeechOutput:
    """The encoder and the HTTP response of one speech request."""

    def __init__(
        self,
        request: web.Request,
        metrics: ServerMetrics,
        encoder: SpeechEncoder,
        started: float,
    ) -> None:
        self._request = request
        self._metrics = metrics
        self._encoder = encoder
        self._started = started
        self._response: web.StreamResponse | None = None
        self._pcm_bytes = 0
        self._sent = False
        self._finished = False

    @classmethod
    async def open(
        cls,
        request: web.Request,
        metrics: ServerMetrics,
        speech: SpeechFormat,
        start: AudioStart,
        started: float,
    ) -> SpeechOutput:
        """An encoder for the server's audio; a streamed format starts its response."""
        try:
            encoder = await asyncio.to_thread(
                SpeechEncoder, speech, start.rate, start.width, start.channels
            )
        except EncodingError as err:
            raise _bad_audio(err) from err
        output = cls(request, metrics, encoder, started)
        if speech.streamed:
            await output._start_stream()
        return output

    @property
    def seconds(self) -> float:
        """Seconds of speech the server sent so far."""
        encoder = self._encoder
        return self._pcm_bytes / (encoder.voice_rate * SAMPLE_WIDTH * encoder.channels)

    def _headers(self) -> dict[str, str]:
        encoder = self._encoder
        headers = {"X-Sample-Rate": str(encoder.rate), "X-Channels": str(encoder.channels)}
        if encoder.speech.codec is None:  # raw samples: say how wide
            headers["X-Sample-Width"] = str(SAMPLE_WIDTH)
        return headers

    async def _start_stream(self) -> None:
        response = web.StreamResponse(headers=self._headers())
        response.content_type = self._encoder.speech.content_type
        response.enable_chunked_encoding()
        await response.prepare(self._request)
        self._request[STREAMING] = response  # from here on an error can only cut the stream
        self._response = response
        if header := self._encoder.header():
            await response.write(header)

    async def write(self, pcm: bytes) -> None:
        """Encode one chunk of the server's PCM and send what it gives."""
        self._pcm_bytes += len(pcm)
        if self._response is None and self._pcm_bytes > MAX_WHOLE_PCM_BYTES:
            raise too_large(
                f"the answer is too long for {self._encoder.speech.name}, which is sent whole; "
                "ask for a streamed format"
            )
        await self._send(await self._run(self._encoder.encode, pcm))

    async def finish(self) -> web.StreamResponse:
        """The end of the audio: the rest streamed, or the whole answer as one response."""
        data = await self._run(self._encoder.finish)
        self._finished = True
        if self._response is None:
            self._first_byte()
            return web.Response(
                body=data, headers=self._headers(), content_type=self._encoder.speech.content_type
            )
        await self._send(data)
        await self._response.write_eof()
        return self._response

    async def close(self) -> None:
        """Free the encoder (in a thread: it waits for an encode still running)."""
        if not self._finished:
            await asyncio.to_thread(self._encoder.close)

    async def _run(self, call: Callable[..., bytes], *args: bytes) -> bytes:
        try:
            if self._encoder.passthrough:
                return call(*args)
            return await asyncio.to_thread(call, *args)
        except EncodingError as err:
            raise _bad_audio(err) from err

    async def _send(self, data: bytes) -> None:
        if data and self._response is not None:
            self._first_byte()
            await self._response.write(data)

    def _first_byte(self) -> None:
        if not self._sent:
            self._sent = True
            self._metrics.latency("speech_first_byte", time.perf_counter() - self._started)
