"""strings.json and translations/en.json are the same, and every agent key is there."""

from __future__ import annotations

import json

from custom_components.local_voice.const import BACKENDS, RISK_KINDS, SUBENTRY_AGENT
from local_voice_harness.paths import REPO_ROOT

ROOT = REPO_ROOT / "custom_components" / "local_voice"


def test_strings_and_english_translation_are_identical() -> None:
    strings = json.loads((ROOT / "strings.json").read_text())
    english = json.loads((ROOT / "translations" / "en.json").read_text())
    assert strings == english


def test_every_step_error_and_option_is_translated() -> None:
    strings = json.loads((ROOT / "strings.json").read_text())
    steps = strings["config"]["step"]
    assert {"user", "server", "model", "pull", "reconfigure", "speech", "confirm_satellite"} <= set(
        steps
    )
    assert set(steps["user"]["menu_options"]) == {"server", "speech"}
    errors = {"cannot_connect", "unknown", "model_required", "invalid_url", "invalid_asr_uri"}
    assert errors <= set(strings["config"]["error"])
    assert {"already_configured", "pull_failed", "reconfigure_successful"} <= set(
        strings["config"]["abort"]
    )
    assert set(strings["selector"]["confirm_actions"]["options"]) == set(RISK_KINDS)
    assert set(strings["selector"]["backend"]["options"]) == set(BACKENDS)
    issues = {
        "prompt_truncated",
        "pipeline_bypasses_confirmation",
        "server_unreachable",
        "model_missing",
    }
    assert issues <= set(strings["issues"])
    agent = strings["config_subentries"][SUBENTRY_AGENT]
    for step in ("user", "reconfigure"):
        fields = agent["step"][step]["data"]
        for key in (
            "model",
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
            assert key in fields, (step, key)
    assert "endpointing_silence_ms" in strings["options"]["step"]["satellite"]["data"]
    assert {"pipeline", "vad_sensitivity"} <= set(strings["entity"]["select"])
