"""Two onnxruntime sessions per voice, and which one a sentence runs on.

No single thread setting of onnxruntime is best for both one client and
several (en_US-joe-medium, 2 cores, measured here): one sentence alone is
fastest on all cores, but two sentences at once on all cores each fight
for the same cores, and with four clients one thread per sentence finished
sooner (p95 1.22 s) than all cores per sentence (2.14 s). So each voice
keeps two sessions of the same model: all cores for a sentence that starts
while no other runs, one thread for a sentence that starts beside another.

Neither spins: onnxruntime's threads busy-wait between operators by default,
which on a 2-core machine that also runs HA takes the CPU from the threads
that have work (378 ms against 136 ms for one sentence at a load average of
3.5). On an idle machine spinning was not reliably faster (98 against 113 ms,
226 against 220 ms, 61 against 54 ms for three sentences), so it is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import onnxruntime  # type: ignore[import-untyped]
from piper import PiperVoice
from piper.config import PiperConfig

if TYPE_CHECKING:
    from pathlib import Path


def session_options(*, threads: int = 0) -> onnxruntime.SessionOptions:
    """Settings of onnxruntime without spinning; ``threads`` 0 means one per core."""
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.intra_op_num_threads = threads
    return options


@dataclass(frozen=True, slots=True)
class VoiceSessions:
    """The same voice loaded twice (or once, on CUDA)."""

    wide: PiperVoice
    single: PiperVoice

    @classmethod
    def load(
        cls, model: Path, config: dict[str, Any], *, use_cuda: bool, concurrent: bool = True
    ) -> VoiceSessions:
        """Load the sessions; one serves every case on CUDA or for a one-worker server.

        The second session costs ~190 MB (measured: 253 → 446 MB resident), so
        ``--workers 1`` (no concurrency wanted) loads only one.
        """
        piper_config = PiperConfig.from_dict(config)
        providers: list[Any] = (
            [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"})]
            if use_cuda
            else ["CPUExecutionProvider"]
        )

        def voice(options: onnxruntime.SessionOptions) -> PiperVoice:
            session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=providers
            )
            return PiperVoice(config=piper_config, session=session)

        wide = voice(session_options())
        if use_cuda or not concurrent:
            return cls(wide, wide)
        return cls(wide=wide, single=voice(session_options(threads=1)))

    def pick(self, running: int) -> PiperVoice:
        """The session for a sentence starting while ``running`` others run in this server."""
        return self.single if running > 0 else self.wide

    def all(self) -> tuple[PiperVoice, ...]:
        """Every distinct session (for warming up)."""
        return (self.wide,) if self.single is self.wide else (self.wide, self.single)
