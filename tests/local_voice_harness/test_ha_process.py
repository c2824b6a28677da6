"""The HA process wrapper's own checks (no HA started)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from local_voice_harness.ha_process import HomeAssistantProcess

if TYPE_CHECKING:
    from pathlib import Path


def test_a_leading_dash_is_refused_before_ha_misreads_it(tmp_path: Path) -> None:
    """HA's auth script took a random password starting with "-" for an option (a real failure)."""
    ha = HomeAssistantProcess(tmp_path, http_port=1)
    with pytest.raises(ValueError, match="cannot start with '-'"):
        ha.create_user("demo", "-abc")
    with pytest.raises(ValueError, match="cannot start with '-'"):
        ha.create_user("-demo", "abc")
