"""What the agent says happened: the states the calls left behind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.local_voice.agent.report import report, snapshot

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def test_a_dimmed_lamp_is_now_dimmed_not_still_on(hass: HomeAssistant) -> None:
    hass.states.async_set("light.lamp", "on", {"friendly_name": "Lamp", "brightness": 255})
    hass.states.async_set("light.other", "off", {"friendly_name": "Other"})
    before = snapshot(hass, ["light.lamp", "light.other", "light.gone"])
    hass.states.async_set("light.lamp", "on", {"friendly_name": "Lamp", "brightness": 128})
    assert report(hass, before) == (
        "Lamp is now on at 50 percent. Other is still off. I can no longer find light.gone."
    )
