"""The small pure pieces of the safety layer: questions, yes/no, argument repair, budgets."""

from __future__ import annotations

import pytest

from custom_components.local_voice.action_guard import (
    Effect,
    looks_like_question,
    needs_confirmation,
)
from custom_components.local_voice.confirmations import (
    PendingAction,
    PendingStore,
    Reply,
    classify_reply,
)
from custom_components.local_voice.const import DEFAULT_CONFIRM, MAX_NUM_CTX, MIN_NUM_CTX
from custom_components.local_voice.model_chat import trim_history
from custom_components.local_voice.prompt_budget import auto_num_ctx
from custom_components.local_voice.tool_guard import repair_arguments


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("is the kitchen light on", True),
        ("Isn't the front door locked?", True),
        ("the kitchen light on?", True),
        ("would the coffee maker be ready?", True),
        ("what is the temperature", True),
        ("turn on the kitchen light", False),
        ("turn on the kitchen light?", False),
        ("Can you turn on the kitchen light?", False),
        ("please unlock the front door?", False),
        ("open the garage door", False),
    ],
)
def test_questions_are_told_from_commands(text: str, question: bool) -> None:
    assert looks_like_question(text) is question


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


def test_arguments_are_repaired() -> None:
    assert repair_arguments(
        {"name": "Desk Lamp", "domain": '["light"]', "area": "", "floor": None}
    ) == {"name": "Desk Lamp", "domain": ["light"]}
    assert repair_arguments('{"name": "Desk Lamp"}') == {"name": "Desk Lamp"}
    assert repair_arguments({"name": "[not json"}) == {"name": "[not json"}
    assert repair_arguments("nonsense") == {}
    assert repair_arguments(["a"]) == {}


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


def test_history_trim_keeps_system_and_last_turns() -> None:
    messages = [{"role": "system", "content": "s"}]
    for n in range(4):
        messages += [
            {"role": "user", "content": f"u{n}"},
            {"role": "assistant", "content": f"a{n}"},
        ]
    messages.append({"role": "user", "content": "now"})
    trimmed = trim_history(messages, 2)
    assert [m["content"] for m in trimmed] == ["s", "u2", "a2", "u3", "a3", "now"]
    assert trim_history(messages, 0) == messages


def test_auto_context_is_bounded_and_rounded() -> None:
    assert auto_num_ctx(0) == MIN_NUM_CTX
    assert auto_num_ctx(1461) == 3072
    assert auto_num_ctx(10**7) == MAX_NUM_CTX
    assert auto_num_ctx(5000) % 1024 == 0
