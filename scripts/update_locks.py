"""Write the lock file and the add-on's pinned runtime set from the installed .venv.

``constraints/local-voice.txt`` pins every package installed in ``.venv``
(tested together, on the HA release of ``constraints/homeassistant-*.txt``);
``addon/requirements.txt`` pins the project's runtime dependencies, transitively,
at the same versions (the add-on image installs exactly these). Run it with the
venv's Python after changing a dependency: ``.venv/bin/python scripts/update_locks.py``.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"local-voice", "pip", "setuptools", "wheel"}
LOCK_HEADER = """\
# Every package of the development environment, tested together on the HA release
# of constraints/homeassistant-*.txt. Written by scripts/update_locks.py.
"""
ADDON_HEADER = """\
# Pinned runtime set for the add-on image: every runtime dependency of the
# project (transitively), at the versions of constraints/local-voice.txt.
# The model packages ship the weights, so the add-on never downloads a model.
# tests/distribution/test_addon_config.py checks this list is complete and in step.
# Written by scripts/update_locks.py.
"""


def installed() -> dict[str, tuple[str, str]]:
    """Canonical name -> (distribution name, version) of every installed package."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        found[canonicalize_name(name)] = (name, dist.version)
    return found


def runtime_closure(root: str) -> set[str]:
    """Canonical names of ``root``'s runtime dependencies, transitively, without extras."""
    seen: set[str] = set()

    def walk(name: str, extras: set[str]) -> None:
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": e}) for e in extras or {""}):
                continue
            key = canonicalize_name(requirement.name)
            if key not in seen:
                seen.add(key)
                walk(requirement.name, set(requirement.extras))

    walk(root, set())
    return seen


def main() -> int:
    """Write both files."""
    packages = installed()
    lock = sorted(
        f"{name}=={version}" for key, (name, version) in packages.items() if key not in SKIP
    )
    (ROOT / "constraints" / "local-voice.txt").write_text(LOCK_HEADER + "\n".join(lock) + "\n")
    runtime = sorted(
        f"{packages[key][0]}=={packages[key][1]}" for key in runtime_closure("local-voice")
    )
    (ROOT / "addon" / "requirements.txt").write_text(ADDON_HEADER + "\n".join(runtime) + "\n")
    print(f"{len(lock)} packages locked, {len(runtime)} in the add-on's runtime set")
    return 0


if __name__ == "__main__":
    sys.exit(main())
