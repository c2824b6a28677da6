"""Answering config-flow forms and picking languages/voices, from HA's real flow JSON shapes."""

from __future__ import annotations

import pytest

from local_voice_harness.ha_setup import HASetupError, _pick_voice, answer_form, pick_language

# The MQTT broker step exactly as HA 2025.4.4 serialises it over REST.
MQTT_BROKER_STEP = {
    "type": "form",
    "handler": "mqtt",
    "step_id": "broker",
    "data_schema": [
        {"selector": {"text": {}}, "name": "broker", "required": True, "default": None},
        {
            "selector": {"number": {}},
            "type": "integer",
            "name": "port",
            "required": True,
            "default": 1883,
        },
        {"selector": {"text": {}}, "name": "username", "optional": True},
    ],
}


def test_answers_then_defaults() -> None:
    assert answer_form(MQTT_BROKER_STEP, {"broker": "127.0.0.1"}) == {
        "broker": "127.0.0.1",
        "port": 1883,
    }


def test_required_without_answer_names_the_field() -> None:
    with pytest.raises(
        HASetupError, match="mqtt step broker: no answer for required field 'broker'"
    ):
        answer_form(MQTT_BROKER_STEP, {})


def test_select_takes_first_option_when_unanswered() -> None:
    step = {
        "data_schema": [
            {
                "name": "model",
                "required": True,
                "selector": {"select": {"options": [{"value": "a", "label": "A"}, "b"]}},
            },
        ]
    }
    assert answer_form(step, {}) == {"model": "a"}
    assert answer_form(step, {"model": "b"}) == {"model": "b"}


@pytest.mark.parametrize(
    ("supported", "picked"),
    [(["en", "de"], "en"), (["de_DE", "en_GB", "en_US"], "en_US"), (["en-GB"], "en-GB")],
)
def test_pick_language(supported: list[str], picked: str) -> None:
    assert pick_language(supported) == picked


def test_pick_language_refuses_when_absent() -> None:
    with pytest.raises(HASetupError, match="no 'en' language"):
        pick_language(["de", "fr"])


def test_pick_voice_prefers_the_bundled_one() -> None:
    # wyoming-piper lists voices it cannot load; HA would pick the first one.
    assert _pick_voice(["en_US-amy-low", "en_US-joe-medium"], "en_US-joe-medium") == (
        "en_US-joe-medium"
    )
    assert _pick_voice(["en_US-amy-low"], "en_US-joe-medium") == "en_US-amy-low"
    assert _pick_voice([], "x") is None
