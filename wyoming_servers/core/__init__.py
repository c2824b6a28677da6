"""The server core both Local Voice Wyoming servers (ASR and TTS) are built on.

How a server uses it (see ``wyoming_servers/asr`` for a complete example)::

    from functools import partial
    from wyoming_servers.core.cli import add_server_arguments, serve, setup_logging
    from wyoming_servers.core.metrics import ServerMetrics
    from wyoming_servers.core.connection import Connection

    class TtsConnection(Connection):
        def __init__(self, reader, writer, context, *, synthesizer): ...
        async def handle_event(self, event: Event) -> bool:
            ...                      # raise any core.errors.WyomingServerError on bad input
            await self.write_event(reply)
            return True              # False ends this connection

    async def main() -> None:
        parser = argparse.ArgumentParser()
        add_server_arguments(parser, default_uri="tcp://0.0.0.0:10200",
                             zeroconf_name="local-voice-tts")
        ...                          # server-specific flags
        args = parser.parse_args()
        setup_logging(args.debug)
        metrics = ServerMetrics("tts")
        await serve(args, partial(TtsConnection, synthesizer=s), metrics)

Modules:

- ``errors``: the typed hierarchy; each class has a stable ``code`` that is
  both the ``error`` event's code and the ``kind`` label of the error metric.
- ``limits.ReadLimits``: caps on header line, data and payload bytes; idle,
  read (slow drip) and write timeouts. ``limits.ClientLimits``: clients
  served at once, waiting, and the longest wait.
- ``events.read_event(reader, limits)``: hardened replacement for
  ``wyoming.event.async_read_event``; ``events.error_event(exc)``.
- ``connection.Connection``: per-connection base class; a raised
  ``WyomingServerError`` becomes an ``error`` event and ends that connection
  only; other exceptions become ``internal-error`` without details.
  ``self.metrics`` (``ServerMetrics``) and ``self.limits`` are at hand.
- ``server.WyomingServer``: tcp://, unix://, stdio:// with ``ClientLimits``
  (``admission``: past ``max_clients`` a client waits its turn in a bounded
  line; a full line gives ``too-many-clients``, a long wait
  ``queue-timeout``) and an ``allow`` list of networks;
  ``tcp://127.0.0.1:0`` binds a free port.
- ``zeroconf_service.ZeroconfAnnouncement``: ``_wyoming._tcp.local.``.
- ``metrics``: ``local_voice_requests_total{server,request}``,
  ``local_voice_errors_total{server,kind}``,
  ``local_voice_audio_seconds_total{server,direction}``,
  ``local_voice_latency_seconds{server,stage}`` (histogram),
  ``local_voice_active_sessions{server}``,
  ``local_voice_model_load_seconds{server}``,
  ``local_voice_queue_depth{server}``,
  ``local_voice_connection_queue_total{server,outcome}``; served by
  ``--metrics-port``.
- ``cli``: ``add_server_arguments`` (--uri, --zeroconf [NAME],
  --max-clients, --max-queued, --queue-timeout, --allow CIDR,
  --metrics-port/--metrics-host, caps and timeouts, --debug),
  ``limits_from_args``, ``clients_from_args``, ``setup_logging``, ``serve``.
- ``audio``: ``AudioFormat.from_data`` (validated rate/width/channels),
  ``to_mono_16k`` (float32), ``to_mono_16k_s16``, ``resample``,
  ``float_to_s16``; numpy only, no ffmpeg.
"""
