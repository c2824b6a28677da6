"""The safety assessment: which effects need a spoken yes."""

from __future__ import annotations

import pytest

from custom_components.local_voice.const import DEFAULT_CONFIRM
from custom_components.local_voice.understanding.safety import (
    Effect,
    base_name,
    is_read_only,
    needs_confirmation,
)


@pytest.mark.parametrize(
    ("effect", "confirm"),
    [
        (Effect("lock.front_door", "Front Door", "lock", "unlock"), True),
        (Effect("lock.front_door", "Front Door", "lock", "lock"), False),
        (Effect("cover.garage_door", "Garage Door", "cover", "open", "garage"), True),
        (Effect("cover.gate", "Gate", "cover", "open", "gate"), True),
        (Effect("cover.garage_door", "Garage Door", "cover", "close", "garage"), False),
        (Effect("cover.blind", "Blind", "cover", "open", "blind"), False),
        (Effect("alarm_control_panel.home", "Alarm", "alarm_control_panel", "alarm_disarm"), True),
        (Effect("light.kitchen", "Kitchen Light", "light", "turn_on"), False),
    ],
)
def test_default_confirmation_list(effect: Effect, confirm: bool) -> None:
    assert needs_confirmation(effect, DEFAULT_CONFIRM) is confirm


def test_open_any_cover_includes_garages() -> None:
    garage = Effect("cover.garage_door", "Garage Door", "cover", "open", "garage")
    blind = Effect("cover.blind", "Blind", "cover", "open", "blind")
    assert needs_confirmation(garage, ["open_any_cover"])
    assert needs_confirmation(blind, ["open_any_cover"])
    assert not needs_confirmation(garage, [])


def test_tool_names_of_every_ha_release_map_to_intents() -> None:
    """HA 2026.3+ names the Assist tools ``intent__HassTurnOn``; 2026.2 ``HassTurnOn``."""
    assert base_name("intent__HassTurnOn") == base_name("HassTurnOn") == "HassTurnOn"
    assert is_read_only("GetLiveContext")
    assert is_read_only("homeassistant__GetLiveContext")
    assert not is_read_only("intent__HassTurnOff")
