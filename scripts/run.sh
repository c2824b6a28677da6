#!/usr/bin/env bash
# The README's run command: set everything up, then run the main job (the
# end-to-end demo on the bundled defaults).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
exec "$ROOT/.venv/bin/local-voice-demo" "$@"
