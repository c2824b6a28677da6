"""Wyoming text-to-speech (piper) server."""
