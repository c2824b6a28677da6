"""MQTT satellites: the session (one utterance), the MQTT link, answer audio as PCM.

A satellite's microphone audio arrives per session on
``audio/in/<session_id>`` (``session``), the entity feeds it to HA's Assist
pipeline, and the spoken answer goes back as PCM on ``audio/out`` (``tts``
makes it, ``answer`` publishes it). ``link`` is the MQTT transport.
"""
