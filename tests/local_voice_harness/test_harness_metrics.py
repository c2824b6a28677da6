"""Reading labelled counters out of Prometheus text."""

from __future__ import annotations

from local_voice_harness.metrics import counter_by_label

TEXT = """# HELP local_voice_decodes_total Speech-to-text decodes
# TYPE local_voice_decodes_total counter
local_voice_decodes_total{server="asr",settings="full"} 3.0
local_voice_decodes_total{server="asr",settings="busy"} 9.0
local_voice_decodes_created{server="asr",settings="full"} 1.7e+09
local_voice_early_decodes_total{server="asr",outcome="used"} 2.0
"""


def test_counter_by_label_keeps_defaults_and_ignores_other_metrics() -> None:
    found = counter_by_label(TEXT, "local_voice_decodes_total", "settings", "full", "busy")
    assert found == {"full": 3.0, "busy": 9.0}
    early = counter_by_label(TEXT, "local_voice_early_decodes_total", "outcome", "used", "final")
    assert early == {"used": 2.0, "final": 0.0}
