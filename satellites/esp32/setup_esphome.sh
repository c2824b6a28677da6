#!/usr/bin/env bash
# Create .venv-esphome (ESPHome from PyPI, kept apart from HA's pins) and copy
# the okay_nabu micro_wake_word manifest + model from pymicro-wakeword into
# satellites/esp32/models/, so `esphome config` validates fully offline.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
venv="${ESPHOME_VENV:-${repo}/.venv-esphome}"
esphome_pin="${ESPHOME_VERSION:-2026.10.0}"

pick_python() {
    if [[ -n "${ESPHOME_PYTHON:-}" ]]; then echo "${ESPHOME_PYTHON}"; return; fi
    if command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.13.0 >/dev/null 2>&1; then
        echo "$(pyenv prefix 3.13.0)/bin/python3.13"; return
    fi
    command -v python3
}

if [[ ! -x "${venv}/bin/esphome" ]]; then
    py="$(pick_python)"
    echo "creating ${venv} with ${py} (esphome==${esphome_pin})" >&2
    "${py}" -m venv "${venv}"
    "${venv}/bin/pip" install --quiet --disable-pip-version-check "esphome==${esphome_pin}"
fi
"${venv}/bin/esphome" version

"${here}/copy_models.sh"
