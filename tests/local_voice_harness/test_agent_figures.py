"""Which command the model answered, from the agent's figures before and after it."""

from __future__ import annotations

from local_voice_harness.agent_figures import model_part


def _figures(turns: int, prompt: int | None = None) -> dict[str, object]:
    return {"model_turns": turns, "prompt_tokens": prompt, "cached_tokens": None}


def test_one_model_turn_between_gives_its_figures() -> None:
    assert model_part(_figures(3, 900), _figures(4, 1000)) == {
        "prompt_tokens": 1000,
        "cached_tokens": None,
    }


def test_no_model_turn_between_gives_none() -> None:
    """HA's intents answered: the last figures are an earlier command's."""
    assert model_part(_figures(4, 1000), _figures(4, 1000)) is None


def test_two_model_turns_between_gives_none() -> None:
    """Two turns (a second satellite, a reply): the last figures are not this command's."""
    assert model_part(_figures(4), _figures(6, 1000)) is None
