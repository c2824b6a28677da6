"""The ``local_voice_command`` event: every handled command, for automations.

Automations can trigger on what was said and what it did (see the blueprints
under ``blueprints/automation/local_voice/``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import EVENT_COMMAND

if TYPE_CHECKING:
    from homeassistant.components.conversation import ConversationInput
    from homeassistant.core import HomeAssistant

type Path = Literal["local_intent", "model", "confirmation", "question_guard", "none"]
type Outcome = Literal["done", "answered", "confirmation_required", "cancelled", "refused", "error"]


@dataclass(slots=True)
class CommandRecord:
    """What the agent did with one sentence."""

    path: Path
    outcome: Outcome
    response: str = ""
    names: list[str] = field(default_factory=list)  # intent or tool names
    targets: list[str] = field(default_factory=list)  # entity ids
    used_model: bool = False


def fire_command_event(
    hass: HomeAssistant, user_input: ConversationInput, conversation_id: str, record: CommandRecord
) -> None:
    """Fire ``local_voice_command`` with the sentence, its origin and its outcome."""
    area_id: str | None = None
    area_name: str | None = None
    satellite_id: str | None = None
    if user_input.device_id and (device := dr.async_get(hass).async_get(user_input.device_id)):
        area_id = device.area_id
        if area_id and (area := ar.async_get(hass).async_get_area(area_id)):
            area_name = area.name
        satellite_id = next(
            (
                e.entity_id
                for e in er.async_entries_for_device(er.async_get(hass), device.id)
                if e.domain == "assist_satellite"
            ),
            None,
        )
    data = asdict(record)
    data.update(
        text=user_input.text,
        language=user_input.language,
        conversation_id=conversation_id,
        agent_id=user_input.agent_id,
        device_id=user_input.device_id,
        satellite_id=satellite_id,
        area_id=area_id,
        area=area_name,
        intent=record.names[0] if record.names else None,
    )
    hass.bus.async_fire(EVENT_COMMAND, data, context=user_input.context)
