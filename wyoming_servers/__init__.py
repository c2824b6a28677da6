"""Wyoming speech-to-text and text-to-speech servers, and the core they share.

Two environment defaults must be set before the libraries that read them
load, so they are set here, before any submodule imports those libraries:

- Nothing may leave the house: onnxruntime (piper's engine, and
  faster-whisper's VAD) sends usage telemetry to Microsoft by default on
  Linux (1.32 looks up ``mobile.events.data.microsoft.com`` on the first
  synthesis, which the no-egress test's trace catches).
  ``ORT_DISABLE_TELEMETRY=1`` turns it off.
- numpy's OpenBLAS starts a thread per core and, after each matrix product
  (faster-whisper's mel filter bank, once per decode), those threads spin
  for a while waiting for more work, on the cores the decodes need. On 2
  cores, four greedy decodes on two workers took 320 ms with OpenBLAS's
  default threads and 231 ms with one (tiny.en, 10 s window; each decode
  alone ~100 ms either way). The servers' numpy work is small and runs
  beside their own inference threads, so ``OPENBLAS_NUM_THREADS=1``.

Both are defaults: a value already in the environment is kept.
``DEFAULTS_SET`` names the ones set here, so the benchmarks can run the peer
servers in the environment their users would give them.
"""

import os

_DEFAULTS = {"ORT_DISABLE_TELEMETRY": "1", "OPENBLAS_NUM_THREADS": "1"}
DEFAULTS_SET = frozenset(name for name in _DEFAULTS if name not in os.environ)
for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)
