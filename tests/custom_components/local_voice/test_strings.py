"""strings.json and translations/en.json are the same, and every agent key is there."""

from __future__ import annotations

import json

from custom_components.local_voice.const import RISK_KINDS
from local_voice_harness.paths import REPO_ROOT

ROOT = REPO_ROOT / "custom_components" / "local_voice"


def test_strings_and_english_translation_are_identical() -> None:
    strings = json.loads((ROOT / "strings.json").read_text())
    english = json.loads((ROOT / "translations" / "en.json").read_text())
    assert strings == english


def test_agent_keys_are_translated() -> None:
    strings = json.loads((ROOT / "strings.json").read_text())
    steps = strings["config"]["step"]
    assert {"user", "model", "pull", "reconfigure"} <= set(steps)
    assert {"cannot_connect", "unknown", "model_required"} <= set(strings["config"]["error"])
    assert {"already_configured", "pull_failed", "reconfigure_successful"} <= set(
        strings["config"]["abort"]
    )
    assert set(strings["selector"]["confirm_actions"]["options"]) == set(RISK_KINDS)
    assert {"prompt_truncated", "pipeline_bypasses_confirmation"} <= set(strings["issues"])
    options = strings["options"]["step"]["init"]["data"]
    for key in (
        "prompt",
        "control",
        "prefer_local_intents",
        "max_history",
        "keep_alive",
        "num_ctx",
        "temperature",
        "request_timeout",
        "confirm_actions",
    ):
        assert key in options
