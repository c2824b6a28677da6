"""Wyoming speech-to-text (faster-whisper) server."""
