"""The ``info`` answer to ``describe``: the program and the one model it serves.

Only the loaded model is listed (installed: true), never a catalogue of
models that would need a download: HA would offer them and then fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from faster_whisper import __version__ as faster_whisper_version
from wyoming.info import AsrModel, AsrProgram, Attribution, Info

if TYPE_CHECKING:
    from .transcriber import Transcriber

VERSION: Final = "0.1.0"
_PROGRAM_ATTRIBUTION: Final = Attribution(
    name="Local Voice", url="https://github.com/local-voice/local-voice"
)
_MODEL_ATTRIBUTION: Final = Attribution(
    name="OpenAI Whisper (CTranslate2 conversion, faster-whisper)",
    url="https://github.com/SYSTRAN/faster-whisper",
)


def build_info(transcriber: Transcriber) -> Info:
    """Describe this server: streaming supported, the model's languages."""
    model = AsrModel(
        name=transcriber.info.name,
        description=f"Whisper {transcriber.info.name} ({transcriber.compute_type}, "
        f"{transcriber.device})",
        attribution=_MODEL_ATTRIBUTION,
        installed=True,
        version=f"faster-whisper {faster_whisper_version}",
        languages=transcriber.languages,
    )
    program = AsrProgram(
        name="local-voice-asr",
        description="Local Voice speech-to-text (faster-whisper)",
        attribution=_PROGRAM_ATTRIBUTION,
        installed=True,
        version=VERSION,
        models=[model],
        supports_transcript_streaming=True,
    )
    return Info(asr=[program])
