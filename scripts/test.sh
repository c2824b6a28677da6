#!/usr/bin/env bash
# The README's test command: set everything up, then lint, type-check and run
# every test. Extra arguments go to pytest (e.g. scripts/test.sh -k asr).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
export PATH="$ROOT/.venv/bin:$PATH"
echo "[test] ruff"
ruff check .
ruff format --check .
echo "[test] mypy --strict"
mypy
if command -v shellcheck >/dev/null 2>&1; then
  echo "[test] shellcheck"
  git ls-files -z -- '*.sh' '.ci/run' | xargs -0 -r shellcheck
fi
echo "[test] pytest"
exec python -m pytest -p no:sugar -q --durations=25 "$@"
