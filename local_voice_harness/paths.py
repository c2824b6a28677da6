"""Where the repository and its material live.

The demo home and the dev audio ship with the harness as package data
(``local_voice_harness/data/``, see its README), so a fresh clone or an
installed wheel needs nothing beside it. ``LOCAL_VOICE_SHARED`` may point at
another folder with the same layout (``demo_home/home.yaml``,
``audio/dev/...``) to use other material instead; nothing requires it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

PACKAGE_DIR: Final = Path(__file__).resolve().parent
REPO_ROOT: Final = PACKAGE_DIR.parent
HA_CONFIG_TEMPLATE: Final = PACKAGE_DIR / "ha_config"
DATA_DIR: Final = PACKAGE_DIR / "data"
OVERRIDE_ENV: Final = "LOCAL_VOICE_SHARED"


class SharedMaterialMissingError(FileNotFoundError):
    """The material folder (demo home, audio) is not where it should be."""


def material_dir() -> Path:
    """The folder with ``demo_home/`` and ``audio/``: the override if set, else the bundled data.

    An override that lacks ``demo_home/home.yaml`` is an error, not a silent
    fall-back: a run should never use other material than the one asked for.
    """
    override = os.environ.get(OVERRIDE_ENV)
    path = Path(override) if override else DATA_DIR
    if not (path / "demo_home" / "home.yaml").is_file():
        where = f"{OVERRIDE_ENV}={override}" if override else "the bundled data"
        raise SharedMaterialMissingError(
            f"demo material not found: {path / 'demo_home' / 'home.yaml'} ({where})"
        )
    return path


def demo_home_file() -> Path:
    """The demo house description."""
    return material_dir() / "demo_home" / "home.yaml"


def dev_commands_dir() -> Path:
    """The dev spoken-command set (commands.jsonl + WAVs)."""
    return material_dir() / "audio" / "dev" / "commands"


def dev_real_speech_dir() -> Path:
    """Recorded human speech with transcripts.tsv."""
    return material_dir() / "audio" / "dev" / "real"


def llm_commands_file(name: str) -> Path:
    """A text-only set for the model behind the agent: ``tuning`` or ``heldout``.

    Always the bundled file: these texts belong to the repository, not to the
    override material.
    """
    return DATA_DIR / "llm_commands" / f"{name}.jsonl"
