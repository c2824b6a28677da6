"""Cutting a voice at its vocoder, and refusing graphs that cannot be cut cleanly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import onnx
import pytest
from onnx import TensorProto, helper

from wyoming_servers.models import resolve_piper_voice
from wyoming_servers.tts.graph_split import VOCODER_ENTRY, split_graphs

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.slow
def test_the_bundled_voice_is_cut_at_its_vocoder() -> None:
    split = split_graphs(resolve_piper_voice("en_US-joe-medium").model)
    assert split is not None
    assert split.speaker_input is None  # one speaker
    vocoder = onnx.load_from_string(split.vocoder)
    assert [value.name for value in vocoder.graph.input] == [split.latent]
    head_parts = ("/enc_p/", "/dp/", "/flow/")
    assert not any(node.name.startswith(head_parts) for node in vocoder.graph.node)
    head = onnx.load_from_string(split.head)
    assert [value.name for value in head.graph.output] == [split.latent]
    assert not any(node.name.startswith("/dec/") for node in head.graph.node)


def _save(tmp_path: Path, nodes: list[onnx.NodeProto], inputs: list[str]) -> Path:
    graph = helper.make_graph(
        nodes,
        "toy",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 4]) for name in inputs],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4])],
    )
    path = tmp_path / "toy.onnx"
    onnx.save(helper.make_model(graph), str(path))
    return path


def test_a_graph_without_the_vocoder_node_runs_whole(tmp_path: Path) -> None:
    path = _save(
        tmp_path, [helper.make_node("Relu", ["input"], ["output"], name="Relu_1")], ["input"]
    )
    assert split_graphs(path) is None


def test_a_vocoder_that_reads_the_text_input_runs_whole(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Relu", ["input"], ["latent"], name="/enc/Relu"),
        # The "vocoder" also reads a graph input besides the latent: not a clean cut.
        helper.make_node("Add", ["latent", "scales"], ["output"], name=VOCODER_ENTRY),
    ]
    assert split_graphs(_save(tmp_path, nodes, ["input", "scales"])) is None


def test_a_clean_toy_cut(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Relu", ["input"], ["latent"], name="/enc/Relu"),
        helper.make_node("Neg", ["latent"], ["output"], name=VOCODER_ENTRY),
    ]
    split = split_graphs(_save(tmp_path, nodes, ["input"]))
    assert split is not None
    assert split.latent == "latent"
