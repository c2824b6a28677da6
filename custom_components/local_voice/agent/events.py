"""The ``local_voice_command`` event: every handled command, for automations.

Automations can trigger on what was said and what it did (see the blueprints
under ``blueprints/automation/local_voice/``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er

from ..const import EVENT_COMMAND
from ..understanding.safety import speaker_area_id

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
    satellite_id = user_input.satellite_id
    if satellite_id is None and user_input.device_id:  # a caller that names only the device
        satellite_id = next(
            (
                e.entity_id
                for e in er.async_entries_for_device(er.async_get(hass), user_input.device_id)
                if e.domain == "assist_satellite"
            ),
            None,
        )
    area_id = speaker_area_id(hass, user_input.device_id, satellite_id)
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    data = asdict(record)
    data.update(
        text=user_input.text,
        language=user_input.language,
        conversation_id=conversation_id,
        agent_id=user_input.agent_id,
        device_id=user_input.device_id,
        satellite_id=satellite_id,
        area_id=area_id,
        area=area.name if area else None,
        intent=record.names[0] if record.names else None,
    )
    hass.bus.async_fire(EVENT_COMMAND, data, context=user_input.context)
