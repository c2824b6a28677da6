"""Run Home Assistant's real core headless: ``python -m local_voice_harness.ha_runner``.

HA always sets up its default integrations, including ``frontend`` (its
``hass_frontend`` package is not installed here, and a failed frontend sends
HA into recovery mode) and a few that talk to the internet (analytics,
backup, cloud). This runner removes those from the default set and then hands
over to HA's own ``__main__`` with the same command line (``-c DIR
--skip-pip``), so everything else is the stock core.
"""

from __future__ import annotations

import sys
from typing import Final

from homeassistant import bootstrap

HEADLESS_SKIPPED: Final = frozenset(
    {"frontend", "analytics", "backup", "hardware", "system_health", "application_credentials"}
)


def prepare_headless() -> None:
    """Drop the skipped integrations from HA's default set; no recovery mode for them."""
    for domain in HEADLESS_SKIPPED:
        bootstrap.DEFAULT_INTEGRATIONS.discard(domain)
    bootstrap.CRITICAL_INTEGRATIONS.difference_update(HEADLESS_SKIPPED)


def main() -> int:
    """Start HA's stock entry point after :func:`prepare_headless`."""
    prepare_headless()
    from homeassistant.__main__ import main as ha_main  # noqa: PLC0415 - after patching

    return ha_main()


if __name__ == "__main__":
    sys.exit(main())
