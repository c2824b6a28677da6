"""``local-voice-llm``: the bundled tool-calling LLM behind an OpenAI-compatible API.

A local model for the conversation agent, shipped as Python packages and
never downloaded. llama.cpp's server engine (``xllamacpp``) serves it.

Modules: ``errors`` (the typed error hierarchy), ``bundled`` (the shipped
models: chunk layout, checksums, assembly into the cache), ``template``
(the chat template passed to llama.cpp), ``server`` (start, stop and use the
engine), ``__main__`` (CLI).
"""
