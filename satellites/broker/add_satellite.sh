#!/usr/bin/env bash
# Create MQTT credentials for a Local Voice satellite (or for Home Assistant)
# and print what to paste into its configuration.
#
#   add_satellite.sh SATELLITE_ID [--passwd FILE] [--host HOST] [--port PORT] [--ca FILE]
#   add_satellite.sh --homeassistant [--passwd FILE]
#
# The username is the satellite id, which the ACL's pattern lines rely on.
# Reload mosquitto afterwards (systemctl reload mosquitto, or kill -HUP PID).
set -euo pipefail

passwd_file="/etc/mosquitto/local_voice.passwd"
host="$(hostname -f 2>/dev/null || hostname)"
port=8883
ca="/etc/local-voice/ca.crt"
user=""

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --passwd) passwd_file="$2"; shift 2 ;;
        --host) host="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --ca) ca="$2"; shift 2 ;;
        --homeassistant) user="homeassistant"; shift ;;
        -h|--help) usage ;;
        -*) echo "unknown option $1" >&2; usage ;;
        *) [[ -z "${user}" ]] || usage; user="$1"; shift ;;
    esac
done
[[ -n "${user}" ]] || usage

if [[ ! "${user}" =~ ^[a-z0-9_-]{1,64}$ ]]; then
    echo "satellite id '${user}' must match ^[a-z0-9_-]{1,64}\$" >&2
    exit 2
fi
if ! command -v mosquitto_passwd >/dev/null 2>&1; then
    echo "mosquitto_passwd not found: apt-get install mosquitto" >&2
    exit 1
fi

password="$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
if [[ -f "${passwd_file}" ]]; then
    mosquitto_passwd -b "${passwd_file}" "${user}" "${password}"
else
    (umask 077; mosquitto_passwd -c -b "${passwd_file}" "${user}" "${password}")
fi
echo "added ${user} to ${passwd_file}; now reload mosquitto (systemctl reload mosquitto)" >&2

if [[ "${user}" == "homeassistant" ]]; then
    cat <<OUT
# Home Assistant -> Settings -> Devices & services -> MQTT -> Configure:
broker: ${host}
port: ${port}
username: homeassistant
password: ${password}
# Advanced options: use a client certificate = off, broker certificate validation = custom: ${ca}
OUT
    exit 0
fi

cat <<OUT
# --- Raspberry Pi: /etc/local-voice/satellite.toml ---
satellite_id = "${user}"

[broker]
host = "${host}"
port = ${port}
username = "${user}"
password = "${password}"
ca_file = "${ca}"

# --- ESP32: satellites/esp32/secrets.yaml (and substitutions: satellite_id: ${user}) ---
mqtt_broker: "${host}"
mqtt_port: ${port}
mqtt_username: "${user}"
mqtt_password: "${password}"
OUT
