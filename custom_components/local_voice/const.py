"""Constants for the Local Voice integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "local_voice"
# The assistant whose exposed entities Local Voice may read and control (HA's Assist).
ASSISTANT: Final = "conversation"
LOGGER: Final = logging.getLogger(__package__)

# Three kinds of config entry share the domain (``CONF_KIND``):
# - a language model server (Ollama or OpenAI-compatible) whose sub-entries are
#   conversation agents;
# - a speech-to-text server (Wyoming) with one speech-to-text entity;
# - an MQTT satellite (one per satellite id, found by MQTT discovery).
CONF_KIND: Final = "kind"
KIND_SERVER: Final = "server"
KIND_SPEECH: Final = "speech"
KIND_SATELLITE: Final = "satellite"
KIND_AGENT_V1: Final = "agent"  # version 1 entries: one agent per entry (migrated)
SUBENTRY_AGENT: Final = "conversation"

# --- Language model server ----------------------------------------------------
CONF_BACKEND: Final = "backend"
BACKEND_OLLAMA: Final = "ollama"
BACKEND_OPENAI: Final = "openai"  # any OpenAI-compatible server (llama.cpp, vLLM, LM Studio)
BACKENDS: Final = (BACKEND_OLLAMA, BACKEND_OPENAI)
CONF_URL: Final = "url"
CONF_API_KEY: Final = "api_key"
SETUP_TIMEOUT: Final = 10.0  # seconds to list the models at setup / in the flow

# --- Conversation agent (a sub-entry of a server) --------------------------------
CONF_MODEL: Final = "model"
CONF_PROMPT: Final = "prompt"
CONF_CONTROL: Final = "control"
CONF_PREFER_LOCAL: Final = "prefer_local_intents"
CONF_MAX_HISTORY: Final = "max_history"
CONF_KEEP_ALIVE: Final = "keep_alive"
CONF_NUM_CTX: Final = "num_ctx"
CONF_TEMPERATURE: Final = "temperature"
CONF_TIMEOUT: Final = "request_timeout"
CONF_CONFIRM: Final = "confirm_actions"

DEFAULT_CONTROL: Final = True
DEFAULT_PREFER_LOCAL: Final = True
DEFAULT_MAX_HISTORY: Final = 4
DEFAULT_KEEP_ALIVE: Final = -1  # seconds; -1 keeps the model loaded
DEFAULT_NUM_CTX: Final = 0  # 0 = sized from the prompt
DEFAULT_TEMPERATURE: Final = 0.2
DEFAULT_TIMEOUT: Final = 15.0  # seconds for one whole model answer
MIN_NUM_CTX: Final = 2048
MAX_NUM_CTX: Final = 131072
MAX_TOOL_ITERATIONS: Final = 5
MAX_ANSWER_TOKENS: Final = 512  # a longer answer is cut: runaway output is an error
CONFIRM_WINDOW_S: Final = 60.0  # a pending confirmation expires after this

# Actions that are only carried out after a spoken "yes" in the next turn.
RISK_UNLOCK: Final = "unlock_locks"
RISK_OPEN_GARAGE_GATE: Final = "open_garage_gates"
RISK_DISARM: Final = "disarm_alarms"
RISK_OPEN_ANY_COVER: Final = "open_any_cover"
RISK_LOCK: Final = "lock_locks"
RISK_KINDS: Final = (
    RISK_UNLOCK,
    RISK_OPEN_GARAGE_GATE,
    RISK_DISARM,
    RISK_OPEN_ANY_COVER,
    RISK_LOCK,
)
DEFAULT_CONFIRM: Final = (RISK_UNLOCK, RISK_OPEN_GARAGE_GATE, RISK_DISARM)

# Fired on HA's bus for every command the agent handled.
EVENT_COMMAND: Final = "local_voice_command"

# --- Speech-to-text server ---------------------------------------------------------
CONF_ASR_URI: Final = "asr_uri"  # tcp://host:port of a Wyoming speech-to-text server

# --- MQTT satellites -------------------------------------------------------------
CONF_SATELLITE_ID: Final = "satellite_id"
CONF_ANNOUNCE: Final = "announce"  # the announce the user confirmed (protocol wire form)
CONF_AREA_ID: Final = "area_id"
CONF_SILENCE_MS: Final = "endpointing_silence_ms"  # satellite VAD: silence that ends a session
# The Pi client's default: no cut-offs on 104 recordings with Silero (docs/satellite.md).
DEFAULT_SILENCE_MS: Final = 300
# End the session at the first pause after a complete command (satellite/endpointing.py).
CONF_END_ON_COMMAND: Final = "end_on_complete_command"
DEFAULT_END_ON_COMMAND: Final = True
# With that on, the satellite's silence only ends what is not a complete command yet
# (a pause mid-sentence, a question for the model): 300 ms cut off 11 of 30 commands
# with a pause inside (benchmarks/results/latency_pauses.json), so it waits longer.
DEFAULT_LONG_SILENCE_MS: Final = 700

SIGNAL_PIPELINE_EVENT: Final = "local_voice_pipeline_event_{}"  # .format(satellite_id)
# Satellite options (flows/satellite.py): arbitration, follow-up, the room's media players.
CONF_ARBITRATION_MS: Final = "arbitration_window_ms"  # wait this long for other satellites
DEFAULT_ARBITRATION_MS: Final = 100
MAX_ARBITRATION_MS: Final = 500
CONF_FOLLOW_UP_S: Final = "follow_up_seconds"  # listen again after a question; 0 = off
DEFAULT_FOLLOW_UP_S: Final = 5
MAX_FOLLOW_UP_S: Final = 20  # protocol.MAX_WINDOW_S
CONF_ANSWER_PLAYER: Final = "answer_media_player"  # a media_player in the satellite's area
CONF_DUCK: Final = "duck_media_players"
DEFAULT_DUCK: Final = True
CONF_DUCK_PERCENT: Final = "duck_percent"  # ducked volume, in % of the player's own
DEFAULT_DUCK_PERCENT: Final = 20
SIGNAL_TIMERS: Final = "local_voice_timers_{}"  # .format(satellite_id)
EVENT_TIMER: Final = "local_voice_timer"  # a satellite's timer started, changed, finished...
