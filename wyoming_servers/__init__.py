"""Wyoming speech-to-text and text-to-speech servers, and the core they share.

Nothing may leave the house: onnxruntime (piper's engine, and faster-whisper's
VAD) sends usage telemetry to Microsoft by default on Linux (1.32 looks up
``mobile.events.data.microsoft.com`` on the first synthesis; found by the
no-egress test). ``ORT_DISABLE_TELEMETRY=1`` must be set before onnxruntime
initialises, so it is set here, before any submodule imports it.
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
