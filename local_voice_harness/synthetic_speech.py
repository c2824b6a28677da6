"""Speech made on this machine: a text spoken by espeak-ng or piper, padded, noise mixed in.

What ``command_set.py`` builds its sets from, and how the evaluation says its
"yes". 16 kHz 16-bit mono WAV, like a satellite's stream: 0.3 s of room
silence before the speech and 0.8 s after, pink noise at a chosen SNR.
espeak-ng and sox are Debian packages (``scripts/bootstrap.sh``); the piper
voice is the bundled ``en_US-joe-medium``. Nothing is downloaded.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

RATE = 16000
# A pause inside a command ("turn on the | kitchen light"): a speaker who stops to
# think, shorter than the satellite's 300 ms of silence that ends a session.
PAUSE_S = 0.25


@dataclass(frozen=True, slots=True)
class Rendition:
    """How one phrase is spoken: engine, voice, speed and noise level."""

    engine: str  # "espeak" or "piper"
    voice: str
    speed: float  # espeak words per minute, or piper length scale
    snr_db: float | None  # None: clean


def _read_wav(path: Path) -> npt.NDArray[np.float32]:
    with wave.open(str(path), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
    if (rate, width, channels) != (RATE, 2, 1):
        raise ValueError(
            f"{path}: expected 16 kHz 16-bit mono, got {rate} Hz {width * 8}-bit x{channels}"
        )
    return np.frombuffer(frames, dtype=np.int16).astype(np.float32)


def _write_wav(path: Path, samples: npt.NDArray[np.float32]) -> None:
    clipped = np.clip(samples, -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(clipped.tobytes())


def _espeak(text: str, voice: str, wpm: float, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(  # noqa: S603
            ["espeak-ng", "-v", voice, "-s", str(int(wpm)), "-w", str(raw), text],  # noqa: S607
            check=True,
        )
        subprocess.run(  # noqa: S603
            ["sox", "-D", str(raw), "-r", str(RATE), "-b", "16", "-c", "1", str(out)],  # noqa: S607
            check=True,
        )


def _piper(text: str, length_scale: float, out: Path) -> None:
    from piper import PiperVoice, SynthesisConfig  # noqa: PLC0415

    from wyoming_servers.models import resolve_piper_voice  # noqa: PLC0415

    files = resolve_piper_voice("en_US-joe-medium")
    voice = _piper_cache.get(str(files.model))
    if voice is None:
        voice = PiperVoice.load(str(files.model), config_path=str(files.config))
        _piper_cache[str(files.model)] = voice
    pcm = b"".join(
        chunk.audio_int16_bytes
        for chunk in voice.synthesize(text, SynthesisConfig(length_scale=length_scale))
    )
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        with wave.open(str(raw), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(voice.config.sample_rate)
            wav.writeframes(pcm)
        subprocess.run(  # noqa: S603
            ["sox", "-D", str(raw), "-r", str(RATE), "-b", "16", "-c", "1", str(out)],  # noqa: S607
            check=True,
        )


_piper_cache: dict[str, Any] = {}


def spoken_reply(text: str, out: Path) -> None:
    """A short reply ("yes") in the bundled voice, padded with silence like a command."""
    _piper(text, 1.0, out)
    _finish(out, None, np.random.default_rng(0))


def pink_noise(n: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Pink (1/f) noise by shaping white noise in the frequency domain."""
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(white)
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return (pink / (np.std(pink) + 1e-9)).astype(np.float32)


def in_noise(pcm: bytes, snr_db: float, tail_s: float = 0.8) -> tuple[bytes, float]:
    """16 kHz 16-bit speech and ``tail_s`` more, in pink noise at ``snr_db``; where speech ends.

    The SNR is against the speech from its first to its last loud 20 ms frame
    (louder than 0.01 of full scale); that last frame's end is the second
    returned, the last speech sound a listener would hear in the clean audio.
    """
    speech = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    frames = speech[: speech.size - speech.size % 320].reshape(-1, 320)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > 0.01)  # noqa: PLR2004
    if loud.size == 0:
        raise ValueError("no speech to mix noise into")
    audio = np.concatenate((speech, np.zeros(round(tail_s * RATE), np.float32)))
    level = float(np.sqrt(np.mean(frames[loud[0] : loud[-1] + 1] ** 2)))
    audio += pink_noise(audio.size, np.random.default_rng(3)) * level / 10 ** (snr_db / 20)
    mixed = (audio.clip(-1, 1) * 32767).astype("<i2").tobytes()
    return mixed, (int(loud[-1]) + 1) * 320 / RATE


def _finish(path: Path, snr_db: float | None, rng: np.random.Generator) -> None:
    """Pad with room silence (and noise) like a satellite stream, then mix noise at the SNR."""
    speech = _read_wav(path)
    lead, tail = int(0.3 * RATE), int(0.8 * RATE)
    audio = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)])
    if snr_db is not None:
        speech_rms = float(np.sqrt(np.mean(speech**2))) or 1.0
        noise_rms = speech_rms / (10 ** (snr_db / 20))
        audio = audio + pink_noise(len(audio), rng) * noise_rms
    _write_wav(path, audio)


def require_tools() -> None:
    """Stop with what to run when espeak-ng or sox is missing."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run scripts/bootstrap.sh")


def speak(text: str, rendition: Rendition, out: Path, rng: np.random.Generator) -> None:
    """Write ``text`` spoken as ``rendition`` to ``out``, padded, with its noise from ``rng``.

    A ``|`` in the text is a pause of ``PAUSE_S`` between the parts (each
    part spoken on its own, its own quiet ends trimmed).
    """
    parts = [part.strip() for part in text.split("|") if part.strip()]
    pieces = []
    for index, part in enumerate(parts):
        if rendition.engine == "espeak":
            _espeak(part, rendition.voice, rendition.speed, out)
        else:
            _piper(part, rendition.speed, out)
        if len(parts) == 1:
            break
        if index:
            pieces.append(np.zeros(int(PAUSE_S * RATE), np.float32))
        pieces.append(_trim(_read_wav(out)))
    if len(parts) > 1:
        _write_wav(out, np.concatenate(pieces))
    _finish(out, rendition.snr_db, rng)


def _trim(audio: npt.NDArray[np.float32], floor: float = 0.01) -> npt.NDArray[np.float32]:
    """Without the quiet at both ends (samples under ``floor``)."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio
