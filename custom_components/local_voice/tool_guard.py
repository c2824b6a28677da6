"""The model's tool calls pass through here before HA runs them.

``GuardedAPIInstance`` replaces the chat log's LLM API for one request. Each
call is repaired (small models send JSON inside strings and empty values),
then checked: unknown tools and unexposed entities are refused with a
sentence the user will hear; a question may not change anything; risky
actions are held for a spoken confirmation instead of running. What did run
is remembered with the states before, so the answer can say what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm

from .action_guard import Assessment, assess, looks_like_question
from .confirmations import PendingAction
from .local_intents import device_area_id
from .state_report import report, snapshot

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.core import HomeAssistant
    from homeassistant.util.json import JsonObjectType


def repair_value(value: Any) -> Any:
    """Decode a JSON list/object that a model sent as a string."""
    if isinstance(value, str):
        text = value.strip()
        if (text.startswith("[") and text.endswith("]")) or (
            text.startswith("{") and text.endswith("}")
        ):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
    return value


def repair_arguments(arguments: Any) -> dict[str, Any]:
    """Arguments as a dict: decode JSON strings, drop empty values."""
    arguments = repair_value(arguments)
    if not isinstance(arguments, dict):
        return {}
    return {str(k): repair_value(v) for k, v in arguments.items() if v not in (None, "", [], {})}


def confirmation_question(assessment: Assessment) -> str:
    """The one question asked before a risky action; it says "sure" so users know it waits."""
    return f"Are you sure you want me to {describe_action(assessment)}?"


def describe_action(assessment: Assessment) -> str:
    """'unlock Front Door', 'open Garage Door and Gate'."""
    verbs = {"unlock": "unlock", "open": "open", "lock": "lock", "alarm_disarm": "disarm"}
    parts = [
        f"{verbs.get(e.action, e.action.replace('_', ' '))} {e.name}" for e in assessment.risky
    ]
    return " and ".join(parts)


@dataclass(slots=True)
class ToolGuard:
    """Per-request record of what the model tried and what happened."""

    hass: HomeAssistant
    text: str
    language: str
    device_id: str | None
    confirm: Collection[str]
    used_model: bool = True
    question: bool = False
    calls: int = 0
    names: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    before: dict[str, str | None] = field(default_factory=dict)
    held: PendingAction | None = None

    def __post_init__(self) -> None:
        self.question = looks_like_question(self.text)

    @property
    def acted(self) -> bool:
        """True when at least one state-changing call ran."""
        return bool(self.before)

    async def async_call(
        self, api: GuardedAPIInstance, tool_input: llm.ToolInput
    ) -> JsonObjectType:
        """Check one call, then run it, hold it, or refuse it."""
        self.calls += 1
        tool_input.tool_args = repair_arguments(tool_input.tool_args)
        name = tool_input.tool_name
        self.names.append(name)
        if not any(tool.name == name for tool in api.tools):
            self.refusals.append(f"I don't have a way to do '{name}'.")
            raise HomeAssistantError(f"Unknown tool {name!r}; use only the listed tools")
        verdict = assess(
            self.hass,
            name,
            tool_input.tool_args,
            language=self.language,
            device_id=self.device_id,
            confirm=self.confirm,
            preferred_area_id=device_area_id(self.hass, self.device_id),
        )
        if verdict.unexposed:
            names = ", ".join(sorted(set(verdict.unexposed)))
            self.refusals.append(
                f"{names} is not exposed to the voice assistant, so I can't control it."
            )
            raise HomeAssistantError(f"{names} is not exposed; do not try again")
        if verdict.invalid:
            raise HomeAssistantError(f"Invalid arguments for {name}: {verdict.invalid}")
        if self.question and verdict.changes_state:
            raise HomeAssistantError(
                "The user asked a question: do not change anything. "
                "Answer it, using GetLiveContext for current states."
            )
        if verdict.risky:
            self._hold(api, tool_input, verdict)
            raise HomeAssistantError("This needs the user's spoken confirmation; stop here")
        before = snapshot(self.hass, verdict.target_ids) if verdict.changes_state else {}
        result = await llm.APIInstance.async_call_tool(api, tool_input)
        self.before.update({k: v for k, v in before.items() if k not in self.before})
        return result

    def _hold(
        self, api: GuardedAPIInstance, tool_input: llm.ToolInput, verdict: Assessment
    ) -> None:
        if self.held is not None:
            return
        hass = self.hass
        targets = verdict.target_ids

        async def execute() -> str:
            before = snapshot(hass, targets)
            await llm.APIInstance.async_call_tool(api, tool_input)
            return report(hass, before)

        self.held = PendingAction(
            question=confirmation_question(verdict),
            name=tool_input.tool_name,
            targets=targets,
            execute=execute,
            used_model=True,
        )


@dataclass
class GuardedAPIInstance(llm.APIInstance):
    """HA's Assist API instance with every tool call routed through a ``ToolGuard``."""

    guard: ToolGuard | None = None

    async def async_call_tool(self, tool_input: llm.ToolInput) -> JsonObjectType:
        """Run the call through the guard."""
        assert self.guard is not None
        return await self.guard.async_call(self, tool_input)

    @classmethod
    def wrap(cls, inner: llm.APIInstance, guard: ToolGuard) -> GuardedAPIInstance:
        """Wrap the instance HA built for this request."""
        return cls(
            api=inner.api,
            api_prompt=inner.api_prompt,
            llm_context=inner.llm_context,
            tools=inner.tools,
            custom_serializer=inner.custom_serializer,
            guard=guard,
        )
