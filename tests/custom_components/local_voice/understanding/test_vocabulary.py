"""The home's vocabulary follows exposure, names, aliases and areas in a real HA core."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from custom_components.local_voice.understanding.home import HomeUnderstanding
from custom_components.local_voice.understanding.vocabulary import MAX_NAMES, HomeVocabulary

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def vocabulary(demo_home: HomeAssistant) -> Iterator[HomeVocabulary]:
    """The demo home's vocabulary, following changes."""
    vocabulary = HomeVocabulary(demo_home)
    vocabulary.async_start()
    yield vocabulary
    vocabulary.async_stop()


async def test_exposed_names_and_areas(
    demo_home: HomeAssistant, vocabulary: HomeVocabulary
) -> None:
    snap = vocabulary.snapshot
    phrases = snap.phrases()
    for name in ("Kitchen Light", "Desk Lamp", "Thermostat", "Front Door", "Living Room"):
        assert name in phrases
    assert "Basement Light" not in phrases
    assert "basement light" in snap.unexposed
    assert len(phrases) == len({p.casefold() for p in phrases}) <= MAX_NAMES
    desk = next(t for t in snap.names if t.text == "Desk Lamp")
    assert (desk.entity_id, desk.domain) == ("light.desk_lamp", "light")


async def test_follows_exposure(demo_home: HomeAssistant, vocabulary: HomeVocabulary) -> None:
    first = vocabulary.snapshot
    async_expose_entity(demo_home, "conversation", "light.basement", should_expose=True)
    await demo_home.async_block_till_done()
    second = vocabulary.snapshot
    assert second.version > first.version
    assert "Basement Light" in second.phrases()
    assert "basement light" not in second.unexposed
    async_expose_entity(demo_home, "conversation", "light.kitchen", should_expose=False)
    await demo_home.async_block_till_done()
    assert "Kitchen Light" not in vocabulary.snapshot.phrases()


async def test_follows_aliases_and_renamed_areas(
    demo_home: HomeAssistant, vocabulary: HomeVocabulary
) -> None:
    assert "Reading Lamp" not in vocabulary.snapshot.phrases()
    er.async_get(demo_home).async_update_entity("light.desk_lamp", aliases={"Reading Lamp"})
    await demo_home.async_block_till_done()
    assert "Reading Lamp" in vocabulary.snapshot.phrases()
    areas = ar.async_get(demo_home)
    office = areas.async_get_area_by_name("Office")
    assert office is not None
    areas.async_update(office.id, name="Study", aliases={"Den"})
    await demo_home.async_block_till_done()
    phrases = vocabulary.snapshot.phrases()
    assert "Study" in phrases
    assert "Den" in phrases
    assert "Office" not in phrases


async def test_renamed_entity_and_ordinary_updates(
    demo_home: HomeAssistant, vocabulary: HomeVocabulary
) -> None:
    version = vocabulary.snapshot.version
    demo_home.states.async_set("light.kitchen", "on", {"friendly_name": "Kitchen Light"})
    await demo_home.async_block_till_done()
    assert vocabulary.snapshot.version == version  # a state change is not a rename
    er.async_get(demo_home).async_update_entity("light.kitchen", name="Counter Light")
    await demo_home.async_block_till_done()
    assert "Counter Light" in vocabulary.snapshot.phrases()


async def test_lexicon_rebuilds_with_the_vocabulary(demo_home: HomeAssistant) -> None:
    home = HomeUnderstanding(demo_home)
    home.async_start()
    before = home.lexicon()
    assert home.lexicon() is before  # kept while nothing changed
    er.async_get(demo_home).async_update_entity("fan.office_fan", aliases={"Ceiling Fan"})
    await demo_home.async_block_till_done()
    after = home.lexicon()
    assert after is not before
    assert "turn on the ceiling fan" in after.sentences.sentences
    home.async_stop()
    await demo_home.async_block_till_done()
