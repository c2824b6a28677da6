"""Three onnxruntime sessions per voice, and which one a sentence runs on.

No single setting of onnxruntime is fastest in every situation on a small
CPU (en_US-joe-medium, 2 cores, one short sentence, measured here):

- On an idle CPU, threads that spin between operators (onnxruntime's
  default, what wyoming-piper uses) won: 64-69 ms against 95 ms without
  spinning.
- With other work runnable (HA, a decode for another satellite), spinning
  threads take the CPU from the threads that have work: 378 ms against
  136 ms without spinning at a load average of 3.5.
- With two sentences at once (two clients), one thread each finished four
  sentences sooner (p95 1.22 s) than two threads each (2.14 s).

So each voice keeps three sessions of the same model (~60 MB each) and
every sentence picks one when it starts: one thread when another sentence
is already running; otherwise all cores, spinning only when no other thread
on the machine is runnable right now (``/proc/loadavg``'s running count,
read in microseconds, not the lagging averages).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import onnxruntime  # type: ignore[import-untyped]
from piper import PiperVoice
from piper.config import PiperConfig

_LOGGER = logging.getLogger(__name__)
LOADAVG: Final = Path("/proc/loadavg")


def session_options(*, spinning: bool, threads: int = 0) -> onnxruntime.SessionOptions:
    """Settings of onnxruntime; ``threads`` 0 means one per core."""
    options = onnxruntime.SessionOptions()
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.intra_op_num_threads = threads
    return options


def other_threads_runnable(path: Path = LOADAVG) -> bool:
    """Whether any thread besides the caller is runnable now (unknown counts as yes)."""
    try:
        running = int(path.read_text(encoding="ascii").split()[3].split("/", 1)[0])
    except (OSError, ValueError, IndexError):
        return True
    return running > 1


@dataclass(frozen=True, slots=True)
class VoiceSessions:
    """The same voice loaded three ways (or once, on CUDA)."""

    spinning: PiperVoice
    polite: PiperVoice
    single: PiperVoice

    @classmethod
    def load(cls, model: Path, config: dict[str, Any], *, use_cuda: bool) -> VoiceSessions:
        """Load the sessions; on CUDA one session serves every case."""
        piper_config = PiperConfig.from_dict(config)

        def voice(options: onnxruntime.SessionOptions) -> PiperVoice:
            providers: list[Any] = (
                [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"})]
                if use_cuda
                else ["CPUExecutionProvider"]
            )
            session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=providers
            )
            return PiperVoice(config=piper_config, session=session)

        polite = voice(session_options(spinning=False))
        if use_cuda:
            return cls(polite, polite, polite)
        return cls(
            spinning=voice(session_options(spinning=True)),
            polite=polite,
            single=voice(session_options(spinning=False, threads=1)),
        )

    def pick(self, running: int) -> PiperVoice:
        """The session for a sentence starting while ``running`` others run in this server."""
        if running > 0:
            return self.single
        if (os.cpu_count() or 1) > 1 and not other_threads_runnable():
            return self.spinning
        return self.polite

    def all(self) -> tuple[PiperVoice, ...]:
        """Every distinct session (for warming up)."""
        seen: dict[int, PiperVoice] = {}
        for voice in (self.spinning, self.polite, self.single):
            seen.setdefault(id(voice), voice)
        return tuple(seen.values())
