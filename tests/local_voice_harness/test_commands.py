"""Loading command sets: malformed lines fail with their line number; old files still load."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from local_voice_harness import paths
from local_voice_harness.commands import CommandSetError, load_commands, load_texts

if TYPE_CHECKING:
    from pathlib import Path


def _write(path: Path, *lines: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_the_dev_set_loads_as_before() -> None:
    commands = load_commands(paths.dev_commands_dir())
    assert commands[0].text == "turn on the kitchen light"
    assert commands[0].expect == {"state": {"light.kitchen": "on"}}


def test_a_range_is_accepted_in_a_spoken_set(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"")
    expect = {"attributes": {"light.x": {"brightness": [{"min": 1, "max": 254}, 0]}}}
    _write(tmp_path / "commands.jsonl", {"audio": "a.wav", "text": "dim it", "expect": expect})
    assert load_commands(tmp_path)[0].expect == expect


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"text": "x", "kind": "question"}, "needs a 'text' and an 'expect'"),
        ({"text": " ", "kind": "question", "expect": {"unchanged": ["a.b"]}}, "needs a 'text'"),
        ({"text": "x", "kind": "chat", "expect": {"unchanged": ["a.b"]}}, "'kind' must be in"),
        ({"text": "x", "kind": "question", "expect": {"changed": ["a.b"]}}, "'expect' keys"),
        (
            {"text": "x", "kind": "relative", "expect": {"state": {"a.b": {"least": 3}}}},
            "a range must be",
        ),
        (
            {"text": "x", "kind": "relative", "expect": {"state": {"a.b": [{"min": "3"}]}}},
            "a range must be",
        ),
        ({"text": "x", "kind": "relative", "expect": {"state": {"a.b": {}}}}, "a range must be"),
    ],
)
def test_a_malformed_text_line_names_its_line(
    tmp_path: Path, line: dict[str, Any], message: str
) -> None:
    good = {"text": "is it on", "kind": "question", "expect": {"unchanged": ["light.x"]}}
    path = _write(tmp_path / "texts.jsonl", good, line)
    with pytest.raises(CommandSetError, match=message) as err:
        load_texts(path)
    assert f"{path}:2:" in str(err.value)


def test_texts_load_with_their_kind(tmp_path: Path) -> None:
    line = {"text": "order a pizza", "kind": "impossible", "expect": {"unchanged": ["light.x"]}}
    [text] = load_texts(_write(tmp_path / "texts.jsonl", line))
    assert (text.text, text.kind, text.expect) == (line["text"], line["kind"], line["expect"])


@pytest.mark.parametrize(
    "timer",
    [{}, {"finishes_within_s": 0}, {"finishes_within_s": 601}, {"finishes_within_s": "5"},
     {"finishes_within_s": True}, {"finishes_within_s": 5, "name": "x"}, 5],
)  # fmt: skip
def test_a_malformed_timer_expectation_names_its_line(tmp_path: Path, timer: object) -> None:
    (tmp_path / "a.wav").write_bytes(b"")
    line = {"audio": "a.wav", "text": "set a timer", "expect": {"timer": timer}}
    (tmp_path / "commands.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(CommandSetError, match="commands.jsonl:1: 'timer' must be"):
        load_commands(tmp_path)
    line["expect"] = {"timer": {"finishes_within_s": 12.5}}
    (tmp_path / "commands.jsonl").write_text(json.dumps(line) + "\n")
    assert load_commands(tmp_path)[0].expect == {"timer": {"finishes_within_s": 12.5}}
