#!/usr/bin/env bash
# The README's test command: set everything up, then lint, type-check and run
# every test. Extra arguments go to pytest (e.g. scripts/test.sh -k asr).
#
# pytest runs twice: first the fast tests two at a time (pytest-xdist), with
# the tests that mostly wait on real time (a timer ringing, HA restarting)
# beside them; then the slow tests one at a time, as their timings assume a
# machine to themselves.
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

# pytest's exit code 5 means that a phase selected no test (e.g. -k asr): not a failure.
phase() {
  local rc=0
  python -m pytest -p no:sugar -q "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then rc=0; fi
  return "$rc"
}
echo "[test] pytest: fast tests, and the tests that wait on real time, two at a time"
first=0
phase -n 2 --dist worksteal --durations=10 -m "not slow or waits" "$@" || first=$?
echo "[test] pytest: slow tests, one at a time"
second=0
phase --durations=25 -m "slow and not waits" "$@" || second=$?
if [ "$first" -ne 0 ] || [ "$second" -ne 0 ]; then
  echo "[test] failed (fast phase: exit $first, slow phase: exit $second)" >&2
  exit 1
fi
echo "[test] every phase passed"
