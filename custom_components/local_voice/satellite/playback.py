"""Where a satellite's answers and announcements are heard: its speaker, or the room's player.

HA's own text to speech makes the audio (a TTS stream, read as it is made).
On the satellite's speaker it goes out as PCM (``tts``, ``answer``) and is
heard once the satellite reports ``played`` (or the audio's length plus a
grace period has passed). On a media player of the area (``media``) HA's TTS
proxy URL is played, and the audio's length read from the same stream says
when it has been heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Final

from homeassistant.components import tts
from homeassistant.exceptions import HomeAssistantError

from .answer import publish_pcm
from .tts import SpeechError, pcm_from_wav

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .link import SatelliteLink
    from .media import AreaMedia

PLAYED_GRACE_SECONDS: Final = 3.0  # the satellite's `played` may come this long after the audio
PLAYER_GRACE_SECONDS: Final = 0.5  # a media player starts a little after play_media returns

__all__ = ["Playback", "SpeechError"]


class Playback:
    """Plays TTS streams for one satellite and waits until they have been heard."""

    def __init__(
        self, hass: HomeAssistant, link: SatelliteLink, satellite_id: str, media: AreaMedia
    ) -> None:
        self.hass, self.link, self.satellite_id, self.media = hass, link, satellite_id, media
        self._played: dict[str, asyncio.Future[None]] = {}

    def on_played(self, stream_id: str) -> None:
        """The satellite has played ``stream_id``."""
        fut = self._played.get(stream_id)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def cancel_all(self) -> None:
        """Stop waiting for any stream (unload)."""
        for fut in self._played.values():
            fut.cancel()

    async def play(
        self, stream_id: str, token: str, kind: str, text: str | None, *, url: str | None = None
    ) -> str:
        """Play the TTS stream ``token``; returns where (the satellite id or a media player).

        Raises ``SpeechError`` or ``HomeAssistantError`` when it cannot be played.
        """
        player = self.media.answer_player
        if player is not None and url is not None:
            await self._on_player(player, token, url)
            return player
        await self._on_satellite(stream_id, token, kind, text)
        return self.satellite_id

    async def _on_satellite(self, stream_id: str, token: str, kind: str, text: str | None) -> None:
        fut = self._played[stream_id] = self.hass.loop.create_future()
        try:
            fmt, pcm = await pcm_from_wav(_stream(self.hass, token).async_stream_result())
            seconds = await publish_pcm(
                self.link.publish, self.satellite_id, stream_id, fmt, pcm, kind=kind, text=text
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, seconds + PLAYED_GRACE_SECONDS)
        finally:
            self._played.pop(stream_id, None)

    async def _on_player(self, player: str, token: str, url: str) -> None:
        began = time.monotonic()
        await self.media.play(player, url)
        fmt, pcm = await pcm_from_wav(_stream(self.hass, token).async_stream_result())
        size = 0
        async for chunk in pcm:
            size += len(chunk)
        seconds = size / fmt.bytes_per_ms() / 1000
        await asyncio.sleep(max(0.0, began + seconds + PLAYER_GRACE_SECONDS - time.monotonic()))


def _stream(hass: HomeAssistant, token: str) -> tts.ResultStream:
    if (stream := tts.async_get_stream(hass, token)) is None:
        raise HomeAssistantError(f"TTS stream {token} is gone")
    return stream
