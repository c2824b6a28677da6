#!/usr/bin/env bash
# s6-overlay finish script shared by both servers: a service that fails takes
# the whole add-on down with its exit code, so the Supervisor sees the failure
# (and its watchdog restarts the add-on) instead of a half-working container.
# Arguments: service name, then s6's exit code and signal.
# Paths can be overridden for tests: LOCAL_VOICE_S6_RESULTS, LOCAL_VOICE_S6_HALT.
set -uo pipefail

service="${1:?usage: finish.sh SERVICE EXIT_CODE [SIGNAL]}"
exit_code="${2:-0}"
signal="${3:-0}"
results="${LOCAL_VOICE_S6_RESULTS:-/run/s6-linux-init-container-results}"
halt="${LOCAL_VOICE_S6_HALT:-/run/s6/basedir/bin/halt}"

container_code=0
if [[ -r "$results/exitcode" ]]; then
  container_code="$(<"$results/exitcode")"
fi

echo "[local-voice] $service exited with code $exit_code (signal $signal)" >&2

if [[ "$exit_code" -eq 256 ]]; then
  # Killed by a signal: record 128+signal; a SIGTERM is a normal stop.
  if [[ "$container_code" -eq 0 ]]; then
    echo "$((128 + signal))" >"$results/exitcode"
  fi
  if [[ "$signal" -eq 15 ]]; then
    exec "$halt"
  fi
elif [[ "$exit_code" -ne 0 ]]; then
  if [[ "$container_code" -eq 0 ]]; then
    echo "$exit_code" >"$results/exitcode"
  fi
  exec "$halt"
fi
