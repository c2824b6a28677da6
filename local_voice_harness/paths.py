"""Where the repository and the shared material live.

The shared material (spoken commands, the demo home) sits beside the checkout
as ``../shared`` and is never copied into the repo; ``LOCAL_VOICE_SHARED``
overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
HA_CONFIG_TEMPLATE: Final = Path(__file__).resolve().parent / "ha_config"


class SharedMaterialMissingError(FileNotFoundError):
    """The ../shared folder (audio, demo home) is not where we expect it."""


def shared_dir() -> Path:
    """Return the shared folder, or raise naming every place that was tried."""
    candidates = []
    if env := os.environ.get("LOCAL_VOICE_SHARED"):
        candidates.append(Path(env))
    candidates += [REPO_ROOT.parent / "shared", REPO_ROOT / "shared"]
    for path in candidates:
        if (path / "demo_home" / "home.yaml").is_file():
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise SharedMaterialMissingError(
        f"shared material not found (tried {tried}); set LOCAL_VOICE_SHARED"
    )


def demo_home_file() -> Path:
    """The demo house description."""
    return shared_dir() / "demo_home" / "home.yaml"


def dev_commands_dir() -> Path:
    """The dev spoken-command set (commands.jsonl + WAVs)."""
    return shared_dir() / "audio" / "dev" / "commands"


def dev_real_speech_dir() -> Path:
    """Recorded human speech with transcripts.tsv."""
    return shared_dir() / "audio" / "dev" / "real"
