#!/usr/bin/env bash
# Start one server (asr, tts or the HTTP api) from the add-on options. The options are
# checked by wyoming_servers.addon_options and turned into the server's arguments by
# wyoming_servers.addon_argv; a bad one stops the service with a line naming it (the
# add-on log shows it) and finish.sh halts the add-on.
# Paths can be overridden for tests: LOCAL_VOICE_OPTIONS, LOCAL_VOICE_RUN_DIR,
# LOCAL_VOICE_VOICES_DIR, LOCAL_VOICE_RECORDINGS_DIR and LOCAL_VOICE_PORT (else the add-on's fixed port).
# The api service is off unless the http_api option is on: it then idles
# (sleep) instead of exiting, so s6 does not restart it over and over.
set -euo pipefail

server="${1:?usage: start-server.sh asr|tts|api}"
options="${LOCAL_VOICE_OPTIONS:-/data/options.json}"
run_dir="${LOCAL_VOICE_RUN_DIR:-/run/local-voice}"
voices_dir="${LOCAL_VOICE_VOICES_DIR:-/share/local_voice/voices}"

case "$server" in
  asr) command=local-voice-asr ;;
  tts) command=local-voice-tts ;;
  api) command=local-voice-api ;;
  *)
    echo "start-server.sh: unknown server '$server' (asr, tts or api)" >&2
    exit 64
    ;;
esac

port_args=()
if [[ -n "${LOCAL_VOICE_PORT:-}" ]]; then
  port_args=(--port "$LOCAL_VOICE_PORT")
fi

mkdir -p "$run_dir"
args_file="$run_dir/$server.args"
if ! python3 -m wyoming_servers.addon_argv "$server" "$options" \
  --vocabulary-file "$run_dir/vocabulary.txt" \
  --voices-dir "$voices_dir" "${port_args[@]}" \
  --recording-key-file "$run_dir/recordings.key" \
  --recordings-dir "${LOCAL_VOICE_RECORDINGS_DIR:-/data/recordings}" >"$args_file"; then
  echo "[local-voice] not starting $command: fix the option named above in the add-on configuration" >&2
  exit 78
fi

args=()
mapfile -t args <"$args_file"
if [[ "$server" == api && ${#args[@]} -eq 0 ]]; then
  echo "[local-voice] the HTTP API is off (option http_api); not starting $command" >&2
  exec sleep infinity
fi
echo "[local-voice] starting $command ${args[*]}" >&2
exec "$command" "${args[@]}"
