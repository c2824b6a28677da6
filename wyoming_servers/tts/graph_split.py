"""A piper voice's ONNX graph cut in two, so audio can start before the sentence is decoded.

A piper (VITS) voice is one graph: text encoder, duration predictor and flow
turn phoneme ids into a latent sequence (one frame per 256 samples), then a
HiFi-GAN vocoder (``dec``) turns the latent into audio. The vocoder is the
larger part of a sentence's time (en_US-joe-medium, a 1.9 s sentence on 2
cores: 32 ms up to the latent, 55 ms vocoder) and it only looks a few frames
either side, so it can run on pieces of the latent: the first piece of audio
is ready after the head and a short vocoder run, not the whole sentence.

The cut is at the vocoder's first convolution (``/dec/conv_pre/Conv``, the
name torch gives it in piper's export). A graph without it, or whose vocoder
would need more than the latent (and the speaker id, for multi-speaker
voices), is not cut: the voice then runs whole, as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

    import onnx

_LOGGER = logging.getLogger(__name__)

VOCODER_ENTRY: Final = "/dec/conv_pre/Conv"
SPEAKER_INPUT: Final = "sid"


@dataclass(frozen=True, slots=True)
class SplitGraphs:
    """The two halves, serialized for onnxruntime, and the tensor between them."""

    head: bytes  # the graph's inputs -> the latent
    vocoder: bytes  # the latent (and speaker id) -> audio
    latent: str
    speaker_input: str | None


def split_graphs(model_path: Path) -> SplitGraphs | None:
    """Cut the voice at its vocoder; None (logged) when this graph cannot be cut cleanly."""
    try:
        return _split(model_path)
    except Exception:  # a voice that cannot be cut still speaks, whole
        _LOGGER.warning("%s: could not cut the graph; the voice runs whole", model_path.name)
        _LOGGER.debug("cutting %s failed", model_path, exc_info=True)
        return None


def _split(model_path: Path) -> SplitGraphs | None:
    import onnx  # noqa: PLC0415 - only needed once per voice load
    import onnx.utils  # noqa: PLC0415

    model = onnx.load(str(model_path))
    graph = model.graph
    entry = next((node for node in graph.node if node.name == VOCODER_ENTRY), None)
    if entry is None or not entry.input:
        _LOGGER.info("%s: no %s node; the voice runs whole", model_path.name, VOCODER_ENTRY)
        return None
    latent = entry.input[0]
    inputs = [value.name for value in graph.input]
    outputs = [value.name for value in graph.output]
    speaker = SPEAKER_INPUT if SPEAKER_INPUT in inputs else None
    if latent not in {value.name for value in graph.value_info}:
        # The extractor types the cut from value_info; the element type is enough.
        graph.value_info.append(
            onnx.helper.make_tensor_value_info(latent, onnx.TensorProto.FLOAT, None)
        )
    extractor = onnx.utils.Extractor(model)
    head = extractor.extract_model(inputs, [latent])
    vocoder_inputs = [latent, speaker] if speaker else [latent]
    vocoder = extractor.extract_model(vocoder_inputs, outputs[:1])
    if missing := _undefined_tensors(vocoder.graph):
        _LOGGER.info(
            "%s: the vocoder needs %s besides the latent; the voice runs whole",
            model_path.name,
            ", ".join(sorted(missing)[:5]),
        )
        return None
    return SplitGraphs(
        head=head.SerializeToString(),
        vocoder=vocoder.SerializeToString(),
        latent=latent,
        speaker_input=speaker,
    )


def _undefined_tensors(graph: onnx.GraphProto) -> set[str]:
    """Tensors the graph's nodes read that nothing before them defines (nodes are sorted)."""
    defined = {value.name for value in graph.input}
    defined |= {init.name for init in graph.initializer}
    missing: set[str] = set()
    for node in graph.node:
        missing.update(name for name in node.input if name and name not in defined)
        defined.update(node.output)
    return missing
