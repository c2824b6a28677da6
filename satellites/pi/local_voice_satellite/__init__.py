"""The Raspberry Pi satellite: microphone audio to HA over MQTT, answers back."""
