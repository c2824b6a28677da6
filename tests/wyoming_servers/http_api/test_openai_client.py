"""The official ``openai`` client, pointed at the gateway, against real servers."""

from __future__ import annotations

import io
import wave
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import openai
import pytest

from wyoming_servers.asr.scoring import word_error_rate

if TYPE_CHECKING:
    from local_voice_harness.commands import SpokenCommand

pytestmark = pytest.mark.slow


@pytest.fixture
def client(api_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api_url}/v1", api_key="local", max_retries=0, timeout=60)


def test_transcribes_dev_commands(client: openai.OpenAI, dev_commands: list[SpokenCommand]) -> None:
    """Three dev commands at once, the home's names as prompt; WER within a measured bound."""

    def transcribe(command: SpokenCommand) -> tuple[str, str]:
        with command.audio.open("rb") as audio:
            result = client.audio.transcriptions.create(
                model="whisper-1",
                file=audio,
                prompt="kitchen light, bedroom light, coffee maker, office fan, desk lamp",
            )
        return command.text, result.text

    with ThreadPoolExecutor(max_workers=3) as pool:
        pairs = list(pool.map(transcribe, dev_commands[:3]))
    wer, _, words = word_error_rate(pairs)
    assert words >= 15
    # tiny.en with the names as prompt hears these three nearly perfectly
    # (0-1 word wrong); 0.15 leaves room for one slip, not for a broken pipeline.
    assert wer <= 0.15, pairs


def test_verbose_json_reports_language_and_duration(
    client: openai.OpenAI, dev_commands: list[SpokenCommand]
) -> None:
    command = dev_commands[0]
    with wave.open(str(command.audio)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    with command.audio.open("rb") as audio:
        result = client.audio.transcriptions.create(
            model="whisper-1", file=audio, response_format="verbose_json"
        )
    assert result.language == "en"
    assert result.duration == pytest.approx(seconds, abs=0.01)
    assert "kitchen" in result.text.lower()


def test_text_format(client: openai.OpenAI, dev_commands: list[SpokenCommand]) -> None:
    with dev_commands[2].audio.open("rb") as audio:
        text = client.audio.transcriptions.create(
            model="tiny.en", file=audio, response_format="text"
        )
    assert isinstance(text, str)
    assert "coffee" in text.lower()


def test_speech_round_trip(client: openai.OpenAI) -> None:
    """Synthesize with the client, check the WAV, and hear it back through the gateway."""
    sentence = "Turned on the kitchen light."
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=sentence, response_format="wav"
    ) as response:
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers.get("transfer-encoding") == "chunked"
        data = response.read()
    with wave.open(io.BytesIO(data)) as wav:
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
        pcm = wav.readframes(wav.getnframes())
    assert (rate, width, channels) == (22050, 2, 1)
    seconds = len(pcm) / (rate * width)
    assert 1.0 < seconds < 4.0  # five words at a speaking rate
    heard = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", data, "audio/wav")
    )
    wer, _, _ = word_error_rate([(sentence, heard.text)])
    assert wer <= 0.2, heard.text


def test_speech_pcm_and_speed(client: openai.OpenAI) -> None:
    """``speed`` 2.0 gives about half the audio of 1.0 (length scale 0.5)."""
    sizes = {}
    for speed in (1.0, 2.0):
        response = client.audio.speech.create(
            model="tts-1",
            voice="en_US-joe-medium",
            input="The front door is locked.",
            response_format="pcm",
            speed=speed,
        )
        sizes[speed] = len(response.content)
    assert sizes[1.0] > 0
    assert 0.35 < sizes[2.0] / sizes[1.0] < 0.7


def test_models_list(client: openai.OpenAI) -> None:
    ids = {model.id for model in client.models.list()}
    assert {"whisper-1", "tiny.en", "tts-1", "en_US-joe-medium"} <= ids


def test_errors_surface_as_openai_exceptions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", voice="no-such-voice", input="hello")
    assert caught.value.status_code == 400
    assert caught.value.code == "voice-not-found"
    assert caught.value.param == "voice"
