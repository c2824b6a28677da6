"""``local-voice-api``: an OpenAI-compatible HTTP gateway to the Wyoming servers.

The gateway holds no model. It speaks Wyoming to ``local-voice-asr`` and
``local-voice-tts`` (one connection per request), so a model is loaded once,
in its server, and every cap the servers enforce (utterance length, text
length, voices installed, ``--max-clients``) applies to HTTP clients too.
Why a gateway rather than a port on each server: see ``docs/api.md``.

Modules: ``config`` (limits and upstream addresses), ``errors`` (OpenAI
error shape, Wyoming error codes to HTTP statuses), ``upstream`` (the
Wyoming client), ``uploads`` (uploaded audio: WAV as it is, the rest decoded
with PyAV), ``encoding`` (speech in mp3, opus, aac, flac, wav or pcm, with
PyAV), ``speech_output`` (encoding off the event loop, streamed or sent
whole), ``transcriptions`` and ``speech`` (the two audio endpoints),
``catalogue`` (models and voices the servers report), ``app`` (routes and
middlewares), ``__main__`` (CLI).
"""
