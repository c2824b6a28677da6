"""Wyoming speech-to-text and text-to-speech servers, and the core they share."""
