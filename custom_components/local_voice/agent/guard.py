"""The model's tool calls pass through this guard before HA runs them.

``GuardedAPIInstance`` replaces the chat log's LLM API for one request. Each
call is repaired (small models send JSON inside strings, empty values, and
a floor or area that keeps a named device from matching), then checked:
unknown tools and unexposed entities are refused with a sentence the user
will hear; a question may not change anything; risky
actions are held for a spoken confirmation instead of running. What did run
is remembered with the states before, so the answer can say what changed.
A state-changing call that already ran in this turn, with the same
arguments, is not run again (a model asked for more after a compound
request's first part may repeat it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import llm

from ..const import LOGGER
from ..understanding.safety import (
    Assessment,
    assess,
    base_name,
    fit_place,
    is_read_only,
    speaker_area_id,
)
from .confirmations import ARE_YOU_SURE, PendingAction
from .degrees import degrees_asked, new_setting
from .home_now import exposed_named, live_context
from .relevance import (
    READ_ONLY_DOMAINS,
    asks_for_change,
    meant_by_word,
    opens,
    pointed_at,
    related,
    says,
)
from .report import report, snapshot
from .tool_calls import repair_arguments, schema_problem

if TYPE_CHECKING:
    from collections.abc import Collection

    from homeassistant.components.conversation import ChatLog
    from homeassistant.core import HomeAssistant


NOT_EXPOSED: Final = "not exposed to the voice assistant, so I can't control it."
LIVE_CONTEXT: Final = "GetLiveContext"
REPEATED: Final = "This call already ran in this turn; it was not run again."
QUESTION_ONLY: Final = (
    "The user asked a question: do not change anything. "
    "Answer it from the current states listed before the request."
)
TURN_ON: Final = "HassTurnOn"
TURN_OFF: Final = "HassTurnOff"  # on a lock: unlock
SET_TEMPERATURE: Final = "HassClimateSetTemperature"
NEEDS_YES: Final = "This needs the user's spoken confirmation; stop here"
NOT_ABOUT: Final = "has nothing to do with what the user asked for; it was not run."
NOTHING_MATCHED: Final = "This call matches nothing in the home; it was not run."
ABOUT: Final = "Call a tool for what the user asked for instead, which is about {names}."
FITTING: Final = "Tools that can change"
WRONG_TOOL: Final = "This tool cannot change {name}; it was not run. Call a tool that fits {name}."
# What the guard tells the model: a small model may read it out as its answer.
GUARD_MESSAGES: Final = (
    REPEATED, QUESTION_ONLY, NEEDS_YES, NOT_ABOUT, NOTHING_MATCHED, ABOUT, WRONG_TOOL, FITTING
)  # fmt: skip
MAX_POINTED: Final = 3  # a request about more things than this is not one to point the model at


def confirmation_question(assessment: Assessment) -> str:
    """The one question asked before a risky action; it says "sure" so users know it waits."""
    return f"{ARE_YOU_SURE}{describe_action(assessment)}?"


def describe_action(assessment: Assessment) -> str:
    """'unlock Front Door', 'open Garage Door and Gate'."""
    verbs = {
        "unlock": "unlock",
        "open": "open",
        "lock": "lock",
        "alarm_disarm": "disarm",
        "turn_on": "turn on",
        "turn_off": "turn off",
    }
    parts = [f"{verbs.get(e.action, _verb(e.action))} {e.name}" for e in assessment.risky]
    return " and ".join(parts)


def _verb(action: str) -> str:
    """'set (ClimateSetTemperature)' -> 'change'; 'alarm_arm_home' -> 'alarm arm home'."""
    return "change" if action.startswith("set ") else action.replace("_", " ")


@dataclass(slots=True)
class ToolGuard:
    """Per-request record of what the model tried and what happened."""

    hass: HomeAssistant
    question: bool  # the user asked: nothing may change
    language: str
    device_id: str | None
    satellite_id: str | None
    confirm: Collection[str]
    calls: int = 0
    names: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    before: dict[str, str | None] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # each state-changing call that ran (``_key``)
    held: PendingAction | None = None
    schemas: dict[str, Any] = field(default_factory=dict)  # tool name -> parameter schema
    asked_about: list[str] = field(default_factory=list)  # targets of calls refused in a question
    request: str = ""  # the user's sentence (``relevance``); empty: every call counts as related
    settings: dict[str, Any] = field(default_factory=dict)  # thermostats' settings, turn start
    pointed: bool = False  # the model was told once what the request is about (``_elsewhere``)

    @property
    def _english_request(self) -> bool:
        """A request whose words ``relevance``'s English lists can judge."""
        return bool(self.request) and self.language.lower().startswith("en")

    @property
    def acted(self) -> bool:
        """True when at least one state-changing call ran."""
        return bool(self.before)

    def changes_state(self, tool_name: str) -> bool:
        """False for tools that only read (HA's annotations, or our list of readers)."""
        return not is_read_only(tool_name)

    async def async_call(self, api: GuardedAPIInstance, tool_input: llm.ToolInput) -> Any:
        """Check one call, then run it, hold it, or refuse it."""
        self.calls += 1
        tool_input.tool_args = repair_arguments(tool_input.tool_args)
        name = tool_input.tool_name
        self.names.append(name)
        if not any(tool.name == name for tool in api.tools):
            self.refusals.append(f"I don't have a way to do '{name}'.")
            raise HomeAssistantError(f"Unknown tool {name!r}; use only the listed tools")
        if name == LIVE_CONTEXT:  # the states it asks about, a line each (``live_context``)
            return {"success": True, "result": live_context(self.hass, tool_input.tool_args)}
        area_id = speaker_area_id(self.hass, self.device_id, self.satellite_id)
        tool_input.tool_args = fit_place(
            self.hass,
            name,
            tool_input.tool_args,
            area_id,
            heard=partial(says, self.request) if self._english_request else None,
        )
        verdict = self._assess(name, tool_input.tool_args, area_id)
        if (meant := self._meant_by_word(tool_input.tool_args, verdict)) is not None:
            tool_input.tool_args = meant
            verdict = self._assess(name, meant, area_id)
        self._by_degrees(name, tool_input.tool_args, verdict)
        key = _key(name, tool_input.tool_args)
        if key in self.done:
            return {"success": True, "result": REPEATED}
        if self._means_unlock(name, verdict):
            # "open up the front door so I can get in" -> HassTurnOn(Front Door) locks
            # it: the 1.5B did so despite the hint on the lock's line. Asked to open,
            # it is the unlock, which is risky and so waits for a "yes".
            # (HA 2026.3+ names the tool ``intent__HassTurnOn``: the same prefix.)
            tool_input.tool_name = name = unlock_tool(name)
            verdict = self._assess(name, tool_input.tool_args, area_id)
        self._check(api, tool_input, verdict, area_id)
        before = snapshot(self.hass, verdict.target_ids) if verdict.changes_state else {}
        result = await llm.APIInstance.async_call_tool(api, tool_input)
        self.before.update({k: v for k, v in before.items() if k not in self.before})
        failed = isinstance(result, dict) and result.get("response_type") == "error"
        if verdict.changes_state and not failed:
            self.done.append(key)
        return result

    def _assess(self, name: str, arguments: dict[str, Any], area_id: str | None) -> Assessment:
        return assess(
            self.hass,
            name,
            arguments,
            language=self.language,
            device_id=self.device_id,
            confirm=self.confirm,
            preferred_area_id=area_id,
        )

    def _by_degrees(self, name: str, arguments: dict[str, Any], verdict: Assessment) -> None:
        """A setting for "a couple of degrees warmer": the thermostat's own plus two.

        The model's value is replaced (``degrees``) when the request asks for a
        change by so many degrees and the call sets one thermostat's temperature.
        """
        if (
            base_name(name) != SET_TEMPERATURE
            or "temperature" not in arguments
            or len(verdict.target_ids) != 1
            or not self._english_request
            or (change := degrees_asked(self.request)) is None
            or (state := self.hass.states.get(verdict.target_ids[0])) is None
            # From the setting the turn began with: a call repeated after the change
            # is the same call (``REPEATED``), not another two degrees.
            or (
                setting := new_setting(
                    self.settings.setdefault(state.entity_id, state.attributes.get("temperature")),
                    change,
                )
            )
            is None
        ):
            return
        if arguments["temperature"] != setting:
            LOGGER.debug(
                "%+g degrees asked for: %s, not the model's %s",
                change,
                setting,
                arguments["temperature"],
            )
            arguments["temperature"] = setting

    def _meant_by_word(
        self, arguments: dict[str, Any], verdict: Assessment
    ) -> dict[str, Any] | None:
        """For a made-up name taken from the request ("Courier"): the device it is a word for.

        Only when the call matches nothing and the request says the name
        (``relevance.meant_by_word``); the area and floor go with the name.
        None when nothing changes.
        """
        name = arguments.get("name")
        if (
            not verdict.changes_state
            or verdict.effects
            or verdict.unexposed
            or not isinstance(name, str)
            or not self._english_request
            or not says(self.request, name)
            or (meant := meant_by_word(self.hass, name)) is None
        ):
            return None
        LOGGER.debug("The made-up name %r is a word for %s", name, meant)
        return {k: v for k, v in arguments.items() if k not in {"area", "floor"}} | {"name": meant}

    def _means_unlock(self, name: str, verdict: Assessment) -> bool:
        """A call that would lock only locks, made for a request to open or let in."""
        return (
            base_name(name) == TURN_ON
            and not self.question
            and bool(verdict.target_ids)
            and all(t.startswith("lock.") for t in verdict.target_ids)
            and self._english_request
            and opens(self.request)
        )

    def _check(
        self,
        api: GuardedAPIInstance,
        tool_input: llm.ToolInput,
        verdict: Assessment,
        area_id: str | None,
    ) -> None:
        """Raise (to the model) for a call that must not run now; hold one that waits."""
        name = tool_input.tool_name
        if verdict.unexposed:
            names = ", ".join(sorted(set(verdict.unexposed)))
            self.refusals.append(f"{names} is {NOT_EXPOSED}")
            raise HomeAssistantError(f"{names} is not exposed; do not try again")
        if self.question and verdict.changes_state:
            # The state of what the question's words point at is the answer, else of
            # what the model reached for, even with a tool that does not fit it
            # (``chat`` ends the turn with it; asked again, the 1.5B read this message
            # out, or said nothing). The 1.5B reached for the thermostat for "is it
            # muggy in the bedroom": the words point at the Bedroom Humidity.
            pointed = (
                pointed_at(self.hass, self.request, _area_name(self.hass, area_id))
                if self._english_request
                else []
            )
            targets = (
                pointed
                or verdict.target_ids
                or exposed_named(self.hass, tool_input.tool_args.get("name"))
            )
            self.asked_about.extend(t for t in targets if t not in self.asked_about)
            raise HomeAssistantError(QUESTION_ONLY)
        if (
            problem := schema_problem(tool_input.tool_args, self.schemas.get(name, {}))
        ) is not None:
            raise HomeAssistantError(f"Invalid arguments for {name}: {problem}")
        if verdict.invalid:
            raise HomeAssistantError(f"Invalid arguments for {name}: {verdict.invalid}")
        if (message := self._elsewhere(api, tool_input.tool_args, verdict)) is not None:
            raise HomeAssistantError(message)
        if verdict.risky:
            self._hold(api, tool_input, verdict)
            raise HomeAssistantError(NEEDS_YES)
        if (
            verdict.changes_state
            and verdict.effects  # (none resolved: HA answers the call with its error)
            and self._english_request  # the word lists are English
            and not (
                related(self.hass, self.request, verdict.effects) and asks_for_change(self.request)
            )
        ):
            # Nothing in the request points at what the call changes ("order a pizza" ->
            # Kitchen Light on), or no word in it asks for a change ("I'll dump this a
            # bedroom", a misheard question): asked first, like a risky action
            # (``relevance``).
            self._hold(api, tool_input, replace(verdict, risky=list(verdict.effects)))
            raise HomeAssistantError(NEEDS_YES)

    def _elsewhere(
        self, api: GuardedAPIInstance, arguments: dict[str, Any], verdict: Assessment
    ) -> str | None:
        """Once a turn: a call that misses what the request points at, and what it points at.

        The request asks for a change, and its own words point at devices
        (``relevance.pointed_at``) that the call neither changes nor names:
        the call matches nothing ("I'd love a cup of coffee, start the
        machine": ``HassClimateSetTemperature`` in the Kitchen, which has no
        thermostat), or nothing it changes is related to the request ("the
        office feels like an oven": the thermostat to 25). The model is told
        what the request is about instead, and tries again; a second miss is
        held for a "yes" (or fails) as before. The message is worded so that
        an answer that reads it out is an echo (``answer_gate``), not spoken.
        A call that names the device meant, with a tool that cannot change it
        (``HassClimateSetTemperature`` on the Coffee Maker, for "get a pot of
        coffee brewing"), is told so.
        """
        if (
            self.pointed
            or not verdict.changes_state
            or not self._english_request
            or not asks_for_change(self.request)
            or (verdict.effects and related(self.hass, self.request, verdict.effects))
        ):
            return None
        # Only what the request's own words point at: not the speaker's area (for "the
        # basement is pitch black" that is the Kitchen Light), nor all of an area it names
        # (for "vacuum the living room", the lamp and the thermostat).
        pointed = [
            e
            for e in pointed_at(self.hass, self.request, whole_area=False)
            if e.split(".", maxsplit=1)[0] not in READ_ONLY_DOMAINS and e not in verdict.target_ids
        ]
        names = [s.name for e in pointed if (s := self.hass.states.get(e)) is not None]
        called = arguments.get("name")
        if not names or len(names) > MAX_POINTED:
            return None
        self.pointed = True
        if called in names:  # the right device, with a tool that does not fit it
            LOGGER.debug("The call names %s with a tool that does not fit it", called)
            return WRONG_TOOL.format(name=called) + self._fitting(api, [called])
        missed = (
            f"{', '.join(e.name for e in verdict.effects)} {NOT_ABOUT}"
            if verdict.effects
            else NOTHING_MATCHED
        )
        LOGGER.debug("The call misses what the request points at (%s); telling the model", names)
        return f"{missed} {ABOUT.format(names=' and '.join(names))}" + self._fitting(api, names)

    def _fitting(self, api: GuardedAPIInstance, names: list[str]) -> str:
        """A sentence per device of ``names``: the tools that can change it.

        Said with the name of each, so the model need only pick among them (the
        1.5B, told only what was meant, answered "You can't do that."). HA's
        on/off tools, and the tools named for the device's domain
        (``HassLightSet`` for a light, ``HassFanSetSpeed`` for a fan), that
        resolve the name.
        """
        parts = []
        for name in names:
            tools = [
                tool.name
                for tool in api.tools
                if self.changes_state(tool.name)
                and (verdict := self._assess(tool.name, {"name": name}, None)).effects
                and not verdict.invalid
                and _fits(tool.name, verdict.effects[0].domain)
            ]
            if tools:
                parts.append(f" {FITTING} {name}: {', '.join(tools)}.")
        return "".join(parts)

    def _hold(
        self, api: GuardedAPIInstance, tool_input: llm.ToolInput, verdict: Assessment
    ) -> None:
        if self.held is not None:
            return
        hass = self.hass
        targets = verdict.target_ids

        async def execute(_chat_log: ChatLog) -> str:
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


def _fits(tool: str, domain: str) -> bool:
    """HA's on/off tools fit every device; ``Hass<Domain>...`` tools their domain's only."""
    base = base_name(tool)
    return base in {TURN_ON, TURN_OFF} or domain.split("_", maxsplit=1)[0] in base.lower()


def _area_name(hass: HomeAssistant, area_id: str | None) -> str | None:
    """The name of the speaker's area (``speaker_area_id``), or None."""
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area else None


def unlock_tool(turn_on: str) -> str:
    """The tool that unlocks, named like ``turn_on`` (``intent__HassTurnOn`` on HA 2026.3+)."""
    return turn_on.removesuffix(TURN_ON) + TURN_OFF


def _key(name: str, arguments: dict[str, Any]) -> str:
    """One call, its arguments in a fixed order: the same call gives the same key."""
    return f"{name} {json.dumps(arguments, sort_keys=True, default=str)}"


@dataclass
class GuardedAPIInstance(llm.APIInstance):
    """HA's Assist API instance with every tool call routed through a ``ToolGuard``."""

    guard: ToolGuard | None = None

    async def async_call_tool(self, tool_input: llm.ToolInput) -> Any:
        """Run the call through the guard (returns what HA's own instance returns)."""
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
