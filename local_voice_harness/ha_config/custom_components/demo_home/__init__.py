"""The demo home (``local_voice_harness/data/demo_home/home.yaml``) as real Home Assistant entities.

The demo, the end-to-end tests and the accuracy benchmark all control this
house, so its entities behave like real devices (services change state, the
state machine and registries see them) while staying deterministic. A
``demo_home.reset`` service restores the initial states between commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import voluptuous as vol
import yaml
from homeassistant.const import Platform
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.discovery import async_load_platform

from .const import DATA_ENTITIES, DATA_SPEC, DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall
    from homeassistant.helpers.typing import ConfigType

    from .entity import DemoEntity

CONFIG_SCHEMA = vol.Schema(
    {DOMAIN: vol.Schema({vol.Required("home"): cv.isfile})}, extra=vol.ALLOW_EXTRA
)

PLATFORMS = [
    Platform.LIGHT,
    Platform.SWITCH,
    Platform.FAN,
    Platform.CLIMATE,
    Platform.SENSOR,
    Platform.COVER,
    Platform.LOCK,
    Platform.BINARY_SENSOR,
]


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read and sanity-check the house description."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or not isinstance(spec.get("entities"), list):
        raise vol.Invalid(f"{path}: expected 'areas' and 'entities'")
    return spec


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Create areas, then entities per platform, then apply exposure and areas."""
    spec = await hass.async_add_executor_job(load_spec, config[DOMAIN]["home"])
    hass.data[DATA_SPEC] = spec
    hass.data[DATA_ENTITIES] = {}

    areas = ar.async_get(hass)
    for name in spec.get("areas", []):
        if areas.async_get_area_by_name(name) is None:
            areas.async_create(name)

    domains = {str(e["entity_id"]).split(".", 1)[0] for e in spec["entities"]}
    extra = [Platform.MEDIA_PLAYER] if "media_player" in domains else []  # test houses only
    for platform in [*PLATFORMS, *extra]:
        hass.async_create_task(
            async_load_platform(hass, platform, DOMAIN, {}, config), eager_start=True
        )

    async def _reset(_call: ServiceCall) -> None:
        entities: dict[str, DemoEntity] = hass.data[DATA_ENTITIES]
        for entity in entities.values():
            entity.reset()
        await hass.async_block_till_done()

    hass.services.async_register(DOMAIN, "reset", _reset)
    return True
