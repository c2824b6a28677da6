"""Prometheus metrics with stable names, shared by both servers.

Names and labels are part of the public interface (dashboards depend on
them); ``server`` is ``asr`` or ``tts`` so both servers can feed one
dashboard. The metrics live in a registry of their own so that two servers
in one process (tests) never clash with other libraries' collectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:
    from collections.abc import Callable

REGISTRY: Final = CollectorRegistry(auto_describe=True)

REQUESTS: Final = Counter(
    "local_voice_requests",
    "Requests handled, by request type (transcribe, synthesize, describe).",
    ["server", "request"],
    registry=REGISTRY,
)
ERRORS: Final = Counter(
    "local_voice_errors",
    "Connections ended by an error, by error code (see core.errors).",
    ["server", "kind"],
    registry=REGISTRY,
)
AUDIO_SECONDS: Final = Counter(
    "local_voice_audio_seconds",
    "Seconds of audio received (in) or produced (out).",
    ["server", "direction"],
    registry=REGISTRY,
)
LATENCY: Final = Histogram(
    "local_voice_latency_seconds",
    "Latency of a processing stage, e.g. audio_stop_to_transcript, first_audio.",
    ["server", "stage"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0),
    registry=REGISTRY,
)
EARLY_DECODES: Final = Counter(
    "local_voice_early_decodes_total",
    "Utterances whose transcript came from a decode made while audio arrived"
    " (outcome=used; ahead: started before its pause, for endpointing)"
    " or needed a decode after audio-stop (outcome=final).",
    ["server", "outcome"],
    registry=REGISTRY,
)
DECODES: Final = Counter(
    "local_voice_decodes_total",
    "Speech-to-text decodes with the full settings (settings=full) or the cheaper ones"
    " used while another decode is in flight (settings=busy).",
    ["server", "settings"],
    registry=REGISTRY,
)
# The metric says "sessions" where the code says "connections": dashboards use the name.
ACTIVE_CONNECTIONS: Final = Gauge(
    "local_voice_active_sessions",
    "Client connections being served now.",
    ["server"],
    registry=REGISTRY,
)
MODEL_LOAD_SECONDS: Final = Gauge(
    "local_voice_model_load_seconds",
    "How long loading the model took at start-up.",
    ["server"],
    registry=REGISTRY,
)

QUEUE_DEPTH: Final = Gauge(
    "local_voice_queue_depth",
    "Requests waiting for a free slot (a worker, a model, an upstream connection)"
    " and connections waiting for a turn (--max-clients).",
    ["server"],
    registry=REGISTRY,
)
CONNECTION_QUEUE: Final = Counter(
    "local_voice_connection_queue",
    "Connections that arrived with every slot taken, by what became of them: served"
    " (after waiting), timeout, left (the client closed) or full (refused at once).",
    ["server", "outcome"],
    registry=REGISTRY,
)


class ServerMetrics:
    """The metrics above bound to one server's label, for call sites to stay short."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._waiting = 0
        self._queue_sources: list[Callable[[], float]] = []
        # Gauges exist from the start (0), so dashboards show 0 rather than "no data".
        ACTIVE_CONNECTIONS.labels(server=server)
        QUEUE_DEPTH.labels(server=server)

    def request(self, request: str) -> None:
        """Count one request of type ``request``."""
        REQUESTS.labels(server=self.server, request=request).inc()

    def error(self, kind: str) -> None:
        """Count one connection ended by error code ``kind``."""
        ERRORS.labels(server=self.server, kind=kind).inc()

    def audio(self, direction: str, seconds: float) -> None:
        """Add ``seconds`` of audio in ``direction`` (``in`` or ``out``)."""
        AUDIO_SECONDS.labels(server=self.server, direction=direction).inc(max(seconds, 0.0))

    def latency(self, stage: str, seconds: float) -> None:
        """Observe one latency of ``stage``."""
        LATENCY.labels(server=self.server, stage=stage).observe(seconds)

    def early_decode(self, outcome: str) -> None:
        """Count one utterance answered by an early decode (``used``, ``ahead``) or not."""
        EARLY_DECODES.labels(server=self.server, outcome=outcome).inc()

    def decode(self, settings: str) -> None:
        """Count one decode run with ``settings`` (``full`` or ``busy``)."""
        DECODES.labels(server=self.server, settings=settings).inc()

    def connection_started(self) -> None:
        """One more connection is being served."""
        ACTIVE_CONNECTIONS.labels(server=self.server).inc()

    def connection_ended(self) -> None:
        """One connection fewer."""
        ACTIVE_CONNECTIONS.labels(server=self.server).dec()

    def queue_changed(self, delta: int) -> None:
        """One request or connection more (+1) or fewer (-1) waiting for a slot."""
        self._waiting += delta
        QUEUE_DEPTH.labels(server=self.server).inc(delta)  # the value while there is no source

    def queue_source(self, depth: Callable[[], float]) -> None:
        """Add ``depth()``, called at each scrape, to the queue depth (no bookkeeping)."""
        self._queue_sources.append(depth)
        QUEUE_DEPTH.labels(server=self.server).set_function(self._queue_depth)

    def _queue_depth(self) -> float:
        return self._waiting + sum(depth() for depth in self._queue_sources)

    def connection_queue(self, outcome: str) -> None:
        """Count one connection that found every slot taken, by ``outcome``."""
        CONNECTION_QUEUE.labels(server=self.server, outcome=outcome).inc()

    def model_loaded(self, seconds: float) -> None:
        """Record how long the model took to load."""
        MODEL_LOAD_SECONDS.labels(server=self.server).set(seconds)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` on ``host:port`` from a daemon thread."""
    start_http_server(port, addr=host, registry=REGISTRY)
