#!/usr/bin/env bash
# Copy the micro_wake_word manifests + models that ship in pymicro-wakeword
# into satellites/esp32/models/ (gitignored binaries: they are not committed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
py="${PYTHON:-${repo}/.venv/bin/python}"
src="$("${py}" -c 'import pathlib, pymicro_wakeword; print(pathlib.Path(pymicro_wakeword.__file__).parent / "models")')"
mkdir -p "${here}/models"
for name in ${WAKE_WORDS:-okay_nabu}; do
    cp "${src}/${name}.json" "${src}/${name}.tflite" "${here}/models/"
    echo "copied ${name}.json + ${name}.tflite to ${here}/models/" >&2
done
