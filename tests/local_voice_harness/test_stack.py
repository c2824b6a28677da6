"""What the stack derives from the demo home before starting anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_voice_harness.stack import home_entity_ids, home_vocabulary

if TYPE_CHECKING:
    from pathlib import Path


def test_vocabulary_is_areas_and_exposed_names(demo_home_path: Path) -> None:
    words = home_vocabulary(demo_home_path)
    assert words[:6] == ["Kitchen", "Living Room", "Bedroom", "Office", "Garage", "Hallway"]
    assert "Office Fan" in words
    assert "Desk Lamp" in words
    assert "Basement Light" not in words  # not exposed to Assist
    assert len(words) == len(set(words))


def test_house_entities(demo_home_path: Path) -> None:
    ids = home_entity_ids(demo_home_path)
    assert {"light.kitchen", "light.basement", "climate.thermostat"} <= ids
    assert not any(i.startswith(("tts.", "stt.", "conversation.")) for i in ids)
