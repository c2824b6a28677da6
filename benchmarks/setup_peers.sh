#!/usr/bin/env bash
# Install the peer servers the benchmarks compare against into .venv-peers.
# They pin versions that conflict with HA's, so they never enter .venv.
# Usage: benchmarks/setup_peers.sh   (idempotent; PyPI only, no model downloads)
set -euo pipefail

cd "$(dirname "$0")/.."
PEERS_VENV="${PEERS_VENV:-.venv-peers}"
PYTHON="${PYTHON:-$(pyenv prefix 3.13.0 2>/dev/null)/bin/python3.13}"
[[ -x "$PYTHON" ]] || PYTHON="$(command -v python3)"

# One line per peer: the exact pins the benchmarks were measured with.
PEERS=(
    "wyoming-piper==2.5.2"
    "wyoming-faster-whisper==3.8.1"
)

if [[ ! -x "$PEERS_VENV/bin/python" ]]; then
    echo "creating $PEERS_VENV with $PYTHON"
    "$PYTHON" -m venv "$PEERS_VENV"
fi
"$PEERS_VENV/bin/python" -m pip install --quiet --upgrade pip
for peer in "${PEERS[@]}"; do
    echo "installing $peer into $PEERS_VENV"
    # av 19 breaks faster-whisper's transcribe, the peer's too.
    "$PEERS_VENV/bin/python" -m pip install --quiet "$peer" "av<19"
done
echo "peers ready in $PEERS_VENV"
