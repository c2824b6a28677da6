"""HA's own record of a pipeline run, matched to a satellite session by its transcript.

HA keeps the last runs of each pipeline with timestamped events
(``assist_pipeline/pipeline_debug``); the stage times of a command come from
there. The record names no device, and several satellites share a
pipeline, so the run of a session is the one whose transcript is the one HA
sent that session (``state`` ``processing``), the first such run after the
session ended.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from .ha_client import HAClientError

if TYPE_CHECKING:
    from .ha_client import HAClient
    from .turn import TurnResult

_RUNS_TO_SEARCH: Final = 12
_CLOCK_SLACK_S: Final = 0.05


async def add_pipeline_times(client: HAClient, pipeline_id: str, result: TurnResult) -> None:
    """Transcript/intent times and the answer from HA's pipeline debug record.

    HA's run events name no device, and several satellites share the
    pipeline: this session's run is the one whose transcript is the one
    HA sent this session (``state`` ``processing``), the first such run
    after the session ended.
    """
    if not result.events:
        return
    session_end = float(result.events[0]["wall"])
    best: tuple[tuple[bool, float], list[dict[str, Any]]] | None = None
    for events in await _recent_runs(client, pipeline_id):
        stt = next((e for e in events if e["type"] == "stt-end"), None)
        if stt is None or _when(stt) < session_end - _CLOCK_SLACK_S:
            continue
        text = str(((stt.get("data") or {}).get("stt_output") or {}).get("text", "")).strip()
        key = (bool(result.transcript) and text != result.transcript, _when(stt) - session_end)
        if best is None or key < best[0]:
            best = (key, events)
    if best is None or best[0][0]:
        return  # no run with this session's transcript: no stage times
    for event in best[1]:
        ms = (_when(event) - session_end) * 1000
        data = event.get("data") or {}
        if event["type"] == "stt-end":
            result.transcript = str((data.get("stt_output") or {}).get("text", "")).strip()
            result.stt_ms = ms
        elif event["type"] == "intent-end":
            result.answer = _speech(event)
            result.intent_ms = ms
        elif event["type"] == "error" and not result.error:
            result.error = f"{data.get('code')}: {data.get('message')}"


async def _recent_runs(client: HAClient, pipeline_id: str) -> list[list[dict[str, Any]]]:
    """The events of the pipeline's last runs (a run HA dropped meanwhile is skipped)."""
    listing = await client.ws("assist_pipeline/pipeline_debug/list", pipeline_id=pipeline_id)
    runs = []
    for run in listing["pipeline_runs"][-_RUNS_TO_SEARCH:]:
        try:
            debug = await client.ws(
                "assist_pipeline/pipeline_debug/get",
                pipeline_id=pipeline_id,
                pipeline_run_id=run["pipeline_run_id"],
            )
        except HAClientError:  # HA keeps the last few runs: this one is gone already
            continue
        runs.append(debug["events"])
    return runs


def _when(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["timestamp"]).timestamp()


def _speech(event: dict[str, Any]) -> str:
    response = ((event.get("data") or {}).get("intent_output") or {}).get("response") or {}
    return str(((response.get("speech") or {}).get("plain") or {}).get("speech", ""))
