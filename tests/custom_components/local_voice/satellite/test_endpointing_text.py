"""Which heard sentences end a turn at their pause, judged by real HA in the demo home.

The words are ones tiny.en wrote for the held-out voices (other espeak voices,
in noise: ``command_set --variant heldout``). ``test_endpointing.py`` runs the
same judgment end to end, with speech, a satellite and the servers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from agent_helpers import home_of

from custom_components.local_voice.satellite.endpointing import Where, async_complete

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    "text",
    [
        "Turn on the Kitchen Light.",
        # misheard words, each where a word was said: the repair runs them
        "Talk on the Kitchen Light.",
        "Please join on the light in the kitchen.",
        "What is a bedroom humidity?",
        "Is the map door open.",
        "Can't you turn off the madroom light?",
    ],
)
async def test_complete(demo_home: HomeAssistant, agent_entry: MockConfigEntry, text: str) -> None:
    assert await async_complete(demo_home, home_of(demo_home), text, Where()) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Turn on the office and...",  # trails off: more is coming
        "Turn off the living room lamp and",
        "Turn the kitchen light",  # "turn *on* the kitchen light" adds a word
        "Switch on the best lamp.",  # the repair asks "Did you mean ...?" first
        "Open the damage door.",  # a risky repair always asks
        "The kitchen is too dark to cook in.",  # for the model
    ],
)
async def test_not_complete(
    demo_home: HomeAssistant, agent_entry: MockConfigEntry, text: str
) -> None:
    assert await async_complete(demo_home, home_of(demo_home), text, Where()) is None
