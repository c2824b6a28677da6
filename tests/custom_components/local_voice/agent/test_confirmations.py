"""Spoken confirmations: yes, no, and pending actions that expire."""

from __future__ import annotations

import pytest

from custom_components.local_voice.agent.confirmations import (
    PendingAction,
    PendingStore,
    Reply,
    classify_reply,
)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("yes", Reply.YES),
        ("Yes please.", Reply.YES),
        ("sure!", Reply.YES),
        ("do it", Reply.YES),
        ("no", Reply.NO),
        ("No thanks", Reply.NO),
        ("cancel", Reply.NO),
        ("never mind", Reply.NO),
        ("yes turn on the lights", Reply.OTHER),
        ("turn off the kitchen light", Reply.OTHER),
        ("", Reply.OTHER),
    ],
)
def test_yes_no_replies(text: str, reply: Reply) -> None:
    assert classify_reply(text) is reply


async def test_pending_actions_expire_and_are_taken_once() -> None:
    async def execute() -> str:
        return "done"

    action = PendingAction("Do you?", "HassTurnOff", ["lock.front_door"], execute, used_model=False)
    store = PendingStore(window_s=60)
    store.put("c1", action)
    assert store.pop("c2") is None
    assert store.pop("c1") is action
    assert store.pop("c1") is None
    expired = PendingStore(window_s=0)
    expired.put("c1", action)
    assert expired.pop("c1") is None
