"""Command lines of the add-on's three servers, from its checked options.

``addon_options`` decides whether the options are right; this module turns
them into ``local-voice-asr``, ``local-voice-tts`` and ``local-voice-api``
arguments. The HTTP gateway talks Wyoming to the two servers inside the
container, on loopback.

Usage from the s6 ``run`` scripts::

    python3 -m wyoming_servers.addon_argv asr /data/options.json
        --vocabulary-file /run/local-voice/vocabulary.txt   (one command line)

(``asr``, ``tts`` or ``api``) prints one argument per line (values are checked
to hold no control characters, so ``mapfile -t`` reads them back safely) and
exits 0, or prints ``option 'NAME': why`` on stderr and exits 2. For ``api``
it prints nothing while the ``http_api`` option is off (the s6 service then
stays idle).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from wyoming_servers.addon_options import AddonOptions, load_options
from wyoming_servers.addon_values import AddonOptionError

if TYPE_CHECKING:
    from collections.abc import Sequence

ASR_PORT: Final = 10300
TTS_PORT: Final = 10200
API_PORT: Final = 10500
# Always allowed, whatever the option says: the container itself (health check,
# discovery's describe) and Home Assistant on the Supervisor's internal network.
ALWAYS_ALLOW: Final = ("127.0.0.1/32", "::1/128", "172.30.32.0/23")


def effective_allow(options: AddonOptions) -> list[str]:
    """The option's networks plus ``ALWAYS_ALLOW`` entries none of them already covers."""
    networks = [ipaddress.ip_network(n) for n in options.allow]
    extra = [
        needed
        for needed in map(ipaddress.ip_network, ALWAYS_ALLOW)
        if not any(
            needed.version == have.version and needed.subnet_of(have)  # type: ignore[arg-type]
            for have in networks
        )
    ]
    return [str(n) for n in (*networks, *extra)]


def _client_args(options: AddonOptions) -> list[str]:
    """How many clients a Wyoming server serves at once, and how many wait, how long."""
    return [
        "--max-clients",
        str(options.max_clients),
        "--max-queued",
        str(options.max_queued),
        "--queue-timeout",
        str(options.queue_timeout),
    ]


def _allow_args(options: AddonOptions) -> list[str]:
    return [arg for network in effective_allow(options) for arg in ("--allow", network)]


def _recording_args(options: AddonOptions, key_file: Path | None, directory: Path) -> list[str]:
    """Write the key to a 0600 file and point the server at it; off unless asked for."""
    if not options.debug_recordings or options.recording_key is None:
        return []
    if key_file is None:
        raise AddonOptionError("recording_key", "recordings are on but no --recording-key-file")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.touch(mode=0o600)
    key_file.chmod(0o600)
    key_file.write_text(options.recording_key + "\n", encoding="utf-8")
    return [
        "--record-dir",
        str(directory),
        "--record-key-file",
        str(key_file),
        "--record-days",
        str(options.recording_days),
        "--record-max-mb",
        str(options.recording_max_mb),
    ]


def asr_argv(
    options: AddonOptions,
    vocabulary_file: Path | None = None,
    *,
    port: int = ASR_PORT,
    recording_key_file: Path | None = None,
    recordings_dir: Path = Path("/data/recordings"),
) -> list[str]:
    """Arguments for ``local-voice-asr``; the vocabulary goes into ``vocabulary_file``."""
    argv = [
        "--uri",
        f"tcp://0.0.0.0:{port}",
        "--model",
        options.stt_model,
        "--beam-size",
        str(options.beam_size),
        *_client_args(options),
    ]
    if not options.faster_when_busy:  # decodes beside another get the same settings
        argv += ["--busy-beam-size", str(options.beam_size), "--busy-encoder-window", "15"]
    if options.language != "auto":
        argv += ["--language", options.language]
    if options.vocabulary:
        if vocabulary_file is None:
            raise AddonOptionError("vocabulary", "names are set but no --vocabulary-file was given")
        vocabulary_file.parent.mkdir(parents=True, exist_ok=True)
        vocabulary_file.write_text("".join(f"{n}\n" for n in options.vocabulary), "utf-8")
        argv += ["--vocabulary", str(vocabulary_file)]
    if options.debug:
        argv.append("--debug")
    argv += _recording_args(options, recording_key_file, recordings_dir)
    return argv + _allow_args(options)


def tts_argv(
    options: AddonOptions, voices_dir: Path | None = None, *, port: int = TTS_PORT
) -> list[str]:
    """Arguments for ``local-voice-tts``; ``voices_dir`` is passed when it exists."""
    argv = [
        "--uri",
        f"tcp://0.0.0.0:{port}",
        "--voice",
        options.voice,
        "--length-scale",
        repr(options.length_scale),
        *_client_args(options),
    ]
    if voices_dir is not None and voices_dir.is_dir():
        argv += ["--voices-dir", str(voices_dir)]
    if options.speaker is not None:
        argv += ["--speaker", str(options.speaker)]
    if options.debug:
        argv.append("--debug")
    return argv + _allow_args(options)


def api_argv(
    options: AddonOptions,
    *,
    port: int = API_PORT,
    asr_port: int = ASR_PORT,
    tts_port: int = TTS_PORT,
) -> list[str]:
    """Arguments for ``local-voice-api``, or none when the ``http_api`` option is off."""
    if not options.http_api:
        return []
    argv = [
        "--host",
        "0.0.0.0",  # noqa: S104 - inside the container; the allow list guards it
        "--port",
        str(port),
        "--asr-uri",
        f"tcp://127.0.0.1:{asr_port}",
        "--tts-uri",
        f"tcp://127.0.0.1:{tts_port}",
        "--max-clients",
        str(options.max_clients),
    ]
    if options.debug:
        argv.append("--debug")
    return argv + _allow_args(options)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the chosen server's arguments, one per line; exit 2 on a bad option."""
    parser = argparse.ArgumentParser(prog="python -m wyoming_servers.addon_argv")
    parser.add_argument("server", choices=("asr", "tts", "api"))
    parser.add_argument("options_file", type=Path)
    parser.add_argument("--vocabulary-file", type=Path, default=None)
    parser.add_argument("--voices-dir", type=Path, default=None)
    parser.add_argument("--recording-key-file", type=Path, default=None)
    parser.add_argument("--recordings-dir", type=Path, default=Path("/data/recordings"))
    parser.add_argument(
        "--port", type=int, default=None, help="listen port (default: the add-on's fixed port)"
    )
    args = parser.parse_args(argv)
    try:
        options = load_options(args.options_file)
        if args.server == "asr":
            out = asr_argv(
                options,
                args.vocabulary_file,
                port=args.port or ASR_PORT,
                recording_key_file=args.recording_key_file,
                recordings_dir=args.recordings_dir,
            )
        elif args.server == "tts":
            out = tts_argv(options, args.voices_dir, port=args.port or TTS_PORT)
        else:  # prints nothing when the http_api option is off
            out = api_argv(options, port=args.port or API_PORT)
    except AddonOptionError as err:
        sys.stderr.write(f"local-voice add-on: {err}\n")
        return 2
    sys.stdout.write("".join(f"{arg}\n" for arg in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
