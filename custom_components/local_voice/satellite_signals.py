"""A satellite's pipeline events, passed on to its sensors by a dispatcher signal.

The satellite entity calls :func:`send_pipeline_event` for every Assist
pipeline event, with the monotonic time of the last audio chunk the
satellite streamed (the end of the spoken command); ``sensor.py`` listens.
One signal per satellite keeps each sensor to its own device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

if TYPE_CHECKING:
    from homeassistant.components.assist_pipeline import PipelineEvent
    from homeassistant.core import HomeAssistant

_SIGNAL: Final = "local_voice_pipeline_event_{}"


def signal_pipeline_event(satellite_id: str) -> str:
    """The dispatcher signal of one satellite's pipeline events."""
    return _SIGNAL.format(satellite_id)


@callback
def send_pipeline_event(
    hass: HomeAssistant, satellite_id: str, event: PipelineEvent, last_audio: float | None
) -> None:
    """Pass one pipeline event (and when the satellite's audio last arrived) on."""
    async_dispatcher_send(hass, signal_pipeline_event(satellite_id), event, last_audio)
