"""The add-on's options -> server arguments translation, option by option."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from local_voice_harness.paths import REPO_ROOT
from wyoming_servers import addon_argv
from wyoming_servers import addon_options as ao

if TYPE_CHECKING:
    from pathlib import Path

ADDON_DEFAULTS: dict[str, Any] = yaml.safe_load(
    (REPO_ROOT / "addon" / "config.yaml").read_text(encoding="utf-8")
)["options"]


def _opts(**changes: Any) -> dict[str, Any]:
    return {**ADDON_DEFAULTS, **changes}


def _flag(argv: list[str], name: str) -> list[str]:
    """Every value given after ``name``."""
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == name]


def test_config_yaml_defaults_equal_module_defaults() -> None:
    parsed = ao.parse_options(ADDON_DEFAULTS)
    assert parsed == ao.AddonOptions()
    assert set(ADDON_DEFAULTS) | {"speaker", "recording_key"} == ao.OPTION_NAMES


def test_default_asr_argv(tmp_path: Path) -> None:
    argv = addon_argv.asr_argv(ao.parse_options(ADDON_DEFAULTS), tmp_path / "vocab.txt")
    assert _flag(argv, "--uri") == ["tcp://0.0.0.0:10300"]
    assert _flag(argv, "--model") == ["tiny.en"]
    assert _flag(argv, "--language") == ["en"]
    assert _flag(argv, "--beam-size") == ["5"]  # as the server and every measurement
    assert _flag(argv, "--max-clients") == ["8"]
    assert _flag(argv, "--max-queued") == ["32"]
    assert _flag(argv, "--queue-timeout") == ["10"]
    assert _flag(argv, "--allow") == list(ao.DEFAULT_ALLOW)
    assert "--vocabulary" not in argv
    assert "--debug" not in argv
    assert not (tmp_path / "vocab.txt").exists()


def test_default_tts_argv() -> None:
    argv = addon_argv.tts_argv(ao.parse_options(ADDON_DEFAULTS))
    assert _flag(argv, "--uri") == ["tcp://0.0.0.0:10200"]
    assert _flag(argv, "--voice") == ["en_US-joe-medium"]
    assert _flag(argv, "--length-scale") == ["1.0"]
    assert _flag(argv, "--max-clients") == ["8"]
    assert _flag(argv, "--max-queued") == ["32"]
    assert _flag(argv, "--queue-timeout") == ["10"]
    assert "--speaker" not in argv
    assert "--voices-dir" not in argv
    assert _flag(argv, "--allow") == list(ao.DEFAULT_ALLOW)


@pytest.mark.parametrize(
    ("model", "language"), [("base", "de"), ("base", "auto"), ("tiny.en", "en")]
)
def test_model_and_language(model: str, language: str) -> None:
    argv = addon_argv.asr_argv(ao.parse_options(_opts(stt_model=model, language=language)))
    assert _flag(argv, "--model") == [model]
    assert _flag(argv, "--language") == ([] if language == "auto" else [language])


def test_beam_size_and_client_limit_bounds() -> None:
    for beam in (1, 10):
        assert _flag(
            addon_argv.asr_argv(ao.parse_options(_opts(beam_size=beam))), "--beam-size"
        ) == [str(beam)]
    for clients in (1, 64):
        options = ao.parse_options(_opts(max_clients=clients))
        assert _flag(addon_argv.asr_argv(options), "--max-clients") == [str(clients)]
        assert _flag(addon_argv.tts_argv(options), "--max-clients") == [str(clients)]
    for queued, seconds in ((0, 1), (256, 300)):
        options = ao.parse_options(_opts(max_queued=queued, queue_timeout=seconds))
        for argv in (addon_argv.asr_argv(options), addon_argv.tts_argv(options)):
            assert _flag(argv, "--max-queued") == [str(queued)]
            assert _flag(argv, "--queue-timeout") == [str(seconds)]


def test_vocabulary_written_to_file(tmp_path: Path) -> None:
    vocab = tmp_path / "run" / "vocabulary.txt"
    options = ao.parse_options(
        _opts(vocabulary=["desk lamp", " office fan ", "desk lamp", "Küche"])
    )
    assert options.vocabulary == ("desk lamp", "office fan", "Küche")
    argv = addon_argv.asr_argv(options, vocab)
    assert _flag(argv, "--vocabulary") == [str(vocab)]
    assert vocab.read_text(encoding="utf-8").splitlines() == ["desk lamp", "office fan", "Küche"]


def test_vocabulary_needs_a_file() -> None:
    with pytest.raises(ao.AddonOptionError, match="'vocabulary'"):
        addon_argv.asr_argv(ao.parse_options(_opts(vocabulary=["desk lamp"])), None)


def test_debug_flag() -> None:
    options = ao.parse_options(_opts(debug=True))
    assert "--debug" in addon_argv.asr_argv(options)
    assert "--debug" in addon_argv.tts_argv(options)


def test_speaker_length_scale_and_voices_dir(tmp_path: Path) -> None:
    options = ao.parse_options(_opts(speaker=3, length_scale=1.25, voice="de_DE-thorsten-low"))
    argv = addon_argv.tts_argv(options, tmp_path)
    assert _flag(argv, "--speaker") == ["3"]
    assert _flag(argv, "--length-scale") == ["1.25"]
    assert _flag(argv, "--voice") == ["de_DE-thorsten-low"]
    assert _flag(argv, "--voices-dir") == [str(tmp_path)]
    assert "--voices-dir" not in addon_argv.tts_argv(options, tmp_path / "missing")


def test_allow_is_normalised() -> None:
    options = ao.parse_options(_opts(allow=["192.168.1.0/24", " 2001:db8::/32 ", "10.0.0.1/32"]))
    assert options.allow == ("192.168.1.0/24", "2001:db8::/32", "10.0.0.1/32")


@pytest.mark.parametrize(
    ("allow", "expected"),
    [
        (["192.168.1.0/24"], ["192.168.1.0/24", "127.0.0.1/32", "::1/128", "172.30.32.0/23"]),
        (["0.0.0.0/0"], ["0.0.0.0/0", "::1/128"]),
        (["::/0", "172.16.0.0/12"], ["::/0", "172.16.0.0/12", "127.0.0.1/32"]),
        (list(ao.DEFAULT_ALLOW), list(ao.DEFAULT_ALLOW)),
    ],
)
def test_container_and_home_assistant_are_always_allowed(
    allow: list[str], expected: list[str]
) -> None:
    """The health check (loopback) and HA (172.30.32.0/23) must reach the servers."""
    options = ao.parse_options(_opts(allow=allow))
    assert _flag(addon_argv.asr_argv(options), "--allow") == expected
    assert _flag(addon_argv.tts_argv(options), "--allow") == expected


BAD_VALUES = [
    ("stt_model", "large-v3", "one of tiny.en, base"),
    ("stt_model", 3, "must be text"),
    ("language", "english", "2-3 letter code"),
    ("language", "EN", "2-3 letter code"),
    ("language", "de", "English only"),
    ("beam_size", 0, "between 1 and 10"),
    ("beam_size", 11, "between 1 and 10"),
    ("beam_size", "5", "whole number"),
    ("beam_size", True, "whole number"),
    ("beam_size", 2.5, "whole number"),
    ("vocabulary", "desk lamp", "must be a list"),
    ("vocabulary", ["ok", 7], "must be text"),
    ("vocabulary", ["   "], "1 to 100 characters"),
    ("vocabulary", ["x" * 101], "1 to 100 characters"),
    ("vocabulary", ["desk\nlamp"], "control characters"),
    ("vocabulary", ["n"] * 501, "at most 500"),
    ("voice", "../../etc/passwd", "voice name"),
    ("voice", "/share/voice.onnx", "voice name"),
    ("voice", "", "voice name"),
    ("voice", None, "must be text"),
    ("speaker", -1, "between 0 and 1023"),
    ("http_api", "yes", "true or false"),
    ("faster_when_busy", 1, "true or false"),
    ("speaker", "joe", "whole number"),
    ("length_scale", 0.1, "between 0.25 and 4.0"),
    ("length_scale", 5, "between 0.25 and 4.0"),
    ("length_scale", float("nan"), "between 0.25 and 4.0"),
    ("length_scale", "1.0", "must be a number"),
    ("max_clients", 0, "between 1 and 64"),
    ("max_clients", 65, "between 1 and 64"),
    ("max_queued", -1, "between 0 and 256"),
    ("max_queued", 257, "between 0 and 256"),
    ("max_queued", 1.5, "whole number"),
    ("queue_timeout", 0, "between 1 and 300"),
    ("queue_timeout", 301, "between 1 and 300"),
    ("queue_timeout", True, "whole number"),
    ("debug", "yes", "true or false"),
    ("debug", 1, "true or false"),
    ("allow", "10.0.0.0/8", "must be a list"),
    ("allow", [], "at least one network"),
    ("allow", ["10.0.0.1/8"], "CIDR"),
    ("allow", ["my-laptop"], "CIDR"),
    ("allow", ["10.0.0.0/33"], "CIDR"),
    ("allow", ["10.0.0.0/8\n"], "control characters"),
    ("allow", ["10.0.0.0/8"] * 65, "at most 64"),
    ("debug_recordings", "on", "true or false"),
    ("recording_key", "00" * 16, "32 bytes"),
    ("recording_key", 1234, "must be text"),
    ("recording_days", 0, "between 1 and 365"),
    ("recording_max_mb", 10001, "between 1 and 10000"),
]


@pytest.mark.parametrize(("option", "value", "why"), BAD_VALUES)
def test_bad_value_names_the_option(option: str, value: Any, why: str) -> None:
    with pytest.raises(ao.AddonOptionError, match=why) as caught:
        ao.parse_options(_opts(**{option: value}))
    assert caught.value.option == option
    assert str(caught.value).startswith(f"option {option!r}: ")


def test_every_option_has_a_bad_value_case() -> None:
    assert {option for option, _, _ in BAD_VALUES} == ao.OPTION_NAMES


def test_unknown_option_and_non_object() -> None:
    with pytest.raises(ao.AddonOptionError, match="'beamsize': is not an option"):
        ao.parse_options(_opts(beamsize=5))
    with pytest.raises(ao.AddonOptionError, match="JSON object"):
        ao.parse_options(["stt_model"])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wyoming_servers.addon_argv", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=REPO_ROOT,
    )


def test_cli_prints_one_argument_per_line(tmp_path: Path) -> None:
    options_file = tmp_path / "options.json"
    options_file.write_text(json.dumps(_opts(vocabulary=["desk lamp"])), encoding="utf-8")
    vocab = tmp_path / "vocabulary.txt"
    done = _cli("asr", str(options_file), "--vocabulary-file", str(vocab))
    assert done.returncode == 0, done.stderr
    expected = addon_argv.asr_argv(ao.load_options(options_file), vocab)
    assert done.stdout.splitlines() == expected
    assert "desk lamp" in vocab.read_text(encoding="utf-8")


def test_cli_bad_option_exits_2_naming_it(tmp_path: Path) -> None:
    options_file = tmp_path / "options.json"
    options_file.write_text(json.dumps(_opts(beam_size=99)), encoding="utf-8")
    done = _cli("tts", str(options_file))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "option 'beam_size': must be between 1 and 10, got 99" in done.stderr


@pytest.mark.parametrize(
    ("content", "why"), [(None, "cannot read"), ("{not json", "not valid JSON")]
)
def test_cli_unreadable_options_file(tmp_path: Path, content: str | None, why: str) -> None:
    options_file = tmp_path / "options.json"
    if content is not None:
        options_file.write_text(content, encoding="utf-8")
    done = _cli("asr", str(options_file))
    assert done.returncode == 2
    assert why in done.stderr


def test_cli_port_override(tmp_path: Path) -> None:
    options_file = tmp_path / "options.json"
    options_file.write_text(json.dumps(ADDON_DEFAULTS), encoding="utf-8")
    done = _cli("tts", str(options_file), "--port", "12345")
    assert done.returncode == 0, done.stderr
    argv = done.stdout.splitlines()
    assert argv[argv.index("--uri") + 1] == "tcp://0.0.0.0:12345"


def test_recordings_are_off_by_default(tmp_path: Path) -> None:
    argv = addon_argv.asr_argv(ao.parse_options(ADDON_DEFAULTS), recording_key_file=tmp_path / "k")
    assert "--record-dir" not in argv
    assert not (tmp_path / "k").exists()


def test_recordings_need_a_key_and_never_show_it(tmp_path: Path) -> None:
    with pytest.raises(ao.AddonOptionError, match="a key is needed") as caught:
        ao.parse_options(_opts(debug_recordings=True))
    assert caught.value.option == "recording_key"
    secret = "AB" * 32
    options = ao.parse_options(_opts(debug_recordings=True, recording_key=secret, recording_days=3))
    assert secret.lower() not in repr(options)
    assert secret not in repr(options)
    key_file = tmp_path / "run" / "recordings.key"
    argv = addon_argv.asr_argv(
        options, recording_key_file=key_file, recordings_dir=tmp_path / "recs"
    )
    assert _flag(argv, "--record-dir") == [str(tmp_path / "recs")]
    assert _flag(argv, "--record-key-file") == [str(key_file)]
    assert _flag(argv, "--record-days") == ["3"]
    assert _flag(argv, "--record-max-mb") == ["200"]
    assert all(secret.lower() not in arg.lower() for arg in argv)
    assert key_file.read_text().strip() == secret.lower()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ao.AddonOptionError) as bad:
        ao.parse_options(_opts(recording_key="zz" * 32))
    assert "zz" * 32 not in str(bad.value)


def test_recording_key_in_cli_goes_to_file_not_stdout(tmp_path: Path) -> None:
    secret = "cd" * 32
    options_file = tmp_path / "options.json"
    options_file.write_text(
        json.dumps({**ADDON_DEFAULTS, "debug_recordings": True, "recording_key": secret})
    )
    result = _cli(
        "asr",
        str(options_file),
        "--recording-key-file",
        str(tmp_path / "key"),
        "--recordings-dir",
        str(tmp_path / "recs"),
    )
    assert result.returncode == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    assert (tmp_path / "key").read_text().strip() == secret


def test_faster_when_busy_is_on_by_default_and_off_gives_every_decode_the_beam() -> None:
    from wyoming_servers.asr.__main__ import build_parser

    default = addon_argv.asr_argv(ao.parse_options(ADDON_DEFAULTS))
    assert "--busy-beam-size" not in default  # the server's own busy settings
    off = addon_argv.asr_argv(ao.parse_options(_opts(faster_when_busy=False, beam_size=3)))
    args = build_parser().parse_args(off)
    assert (args.busy_beam_size, args.busy_encoder_window) == (3, args.encoder_window)
