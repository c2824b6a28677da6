"""The engines of a voice (``engine.py``), and which one a step of a sentence runs on.

No single setting of onnxruntime is fastest in every situation on a small
CPU. Measured here (en_US-joe-medium, 2 cores):

- On an idle machine, threads that spin between operators (onnxruntime's
  default, what wyoming-piper runs) made one sentence faster: 69 against
  95 ms, and in the benchmark without spinning we were 9 % behind
  wyoming-piper (140 against 128 ms).
- With other work runnable (HA, a decode for another satellite), spinning
  threads take the CPU from the threads that have work: 378 ms against
  136 ms without spinning at a load average of 3.5, 93 against 83 ms at 2-3.
- Several sentences at once on 2 idle cores finished later than one after
  the other on all cores (4 clients, p95 598 against 451 ms), so by default
  one step runs at a time (``--workers 1``), earliest deadline first (the
  synthesizer).

So every voice is loaded twice, with all cores: spinning, used when no other
thread on the machine is runnable right now (``/proc/loadavg``'s running
count, read in microseconds, not the lagging averages) or when the sentence
queued behind another of ours (a burst: the other runnable threads are then
mostly our own hand-over, and everyone in line waits for this sentence), and
not spinning, used otherwise. With ``--workers`` above 1, a step that starts
beside another runs on a third, one-thread engine. A whole-graph engine cost
~190 MB; cutting the graphs raised the server's peak RSS from 585 to 612 MB.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import onnxruntime  # type: ignore[import-untyped]
from piper import PiperVoice
from piper.config import PiperConfig

from .engine import VoiceEngine, calibrate_gain
from .graph_split import split_graphs

_LOGGER = logging.getLogger(__name__)
LOADAVG: Final = Path("/proc/loadavg")
_OWN_THREADS: Final = 2  # the synthesizing thread and the server's event loop


def runtime_options(*, spinning: bool, threads: int = 0) -> onnxruntime.SessionOptions:
    """Settings of onnxruntime; ``threads`` 0 means one per core."""
    options = onnxruntime.SessionOptions()
    if spinning:
        # Spin between operators, not after the run: threads still spinning
        # when the sentence is done took the CPU from the hand-over to the
        # event loop (in-process, 102.5 against 97.1 ms a sentence).
        options.add_session_config_entry("session.force_spinning_stop", "1")
    else:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.intra_op_num_threads = threads
    return options


def other_threads_runnable(path: Path = LOADAVG) -> bool:
    """Whether other work is runnable now (unknown counts as yes).

    The count includes the caller and, often, this server's own event loop
    thread that just handed over the sentence; more than those two is
    somebody else's work.
    """
    try:
        running = int(path.read_text(encoding="ascii").split()[3].split("/", 1)[0])
    except (OSError, ValueError, IndexError):
        return True
    return running > _OWN_THREADS


@dataclass(frozen=True, slots=True)
class VoiceEngines:
    """The same voice loaded for each situation (once on CUDA), and its streaming gain."""

    spinning: VoiceEngine
    polite: VoiceEngine
    single: VoiceEngine
    gain: float = 1.0  # for sentences made in pieces (engine.py)

    @classmethod
    def load(
        cls,
        model: Path,
        config: dict[str, Any],
        *,
        use_cuda: bool,
        concurrent: bool = False,
        stream: bool = True,
    ) -> VoiceEngines:
        """Load the engines: one on CUDA, a one-thread one only for concurrent sentences.

        With ``stream`` the graph is cut at its vocoder (``graph_split.py``) so
        sentences come out in pieces; a graph that cannot be cut runs whole.
        """
        piper_config = PiperConfig.from_dict(config)
        providers: list[Any] = (
            [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"})]
            if use_cuda
            else ["CPUExecutionProvider"]
        )
        split = split_graphs(model) if stream else None

        def engine(options: onnxruntime.SessionOptions) -> VoiceEngine:
            def inference_session(graph: str | bytes) -> onnxruntime.InferenceSession:
                return onnxruntime.InferenceSession(
                    graph, sess_options=options, providers=providers
                )

            if split is None:
                whole = inference_session(str(model))
                return VoiceEngine(PiperVoice(config=piper_config, session=whole))
            head = inference_session(split.head)
            return VoiceEngine(
                PiperVoice(config=piper_config, session=head),  # phonemizes only
                head=head,
                vocoder=inference_session(split.vocoder),
                latent=split.latent,
                speaker_input=split.speaker_input,
            )

        polite = engine(runtime_options(spinning=False))
        gain = calibrate_gain(polite) if polite.streams else 1.0
        if use_cuda:
            return cls(polite, polite, polite, gain)
        spinning = engine(runtime_options(spinning=True))
        single = engine(runtime_options(spinning=False, threads=1)) if concurrent else polite
        return cls(spinning=spinning, polite=polite, single=single, gain=gain)

    def pick(self, running: int, *, queued: bool = False) -> VoiceEngine:
        """The engine for a step starting while ``running`` others run in this server.

        A step that ``queued`` behind another is part of a burst of this
        server's own work: the other runnable threads are then mostly our
        event loop handing over the previous audio and its client reading
        it, and every client still in line waits for this step to end.
        """
        if running > 0:
            choice, engine = "one-thread", self.single
        elif queued or not other_threads_runnable():
            choice, engine = "spinning", self.spinning
        else:
            choice, engine = "non-spinning", self.polite
        _LOGGER.debug("step on the %s engine", choice)
        return engine

    def all(self) -> tuple[VoiceEngine, ...]:
        """Every distinct engine (for warming up)."""
        seen: dict[int, VoiceEngine] = {}
        for engine in (self.spinning, self.polite, self.single):
            seen.setdefault(id(engine), engine)
        return tuple(seen.values())
