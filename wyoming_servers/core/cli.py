"""Command-line conventions both servers share, and the one call that runs them.

``add_server_arguments`` adds --uri, --zeroconf [NAME], --max-clients,
--max-queued, --queue-timeout, --allow CIDR, --metrics-port/--metrics-host,
the caps and timeouts, and --debug. ``serve`` then starts metrics, the listener and the zeroconf
announcement, and runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import signal
from typing import TYPE_CHECKING

from .connection import ConnectionContext
from .limits import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CLIENTS,
    DEFAULT_MAX_DATA,
    DEFAULT_MAX_LINE,
    DEFAULT_MAX_PAYLOAD,
    DEFAULT_MAX_QUEUED,
    DEFAULT_QUEUE_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_WRITE_TIMEOUT,
    ClientLimits,
    ReadLimits,
)
from .metrics import serve_metrics
from .server import DEFAULT_ALLOW, WyomingServer
from .zeroconf_service import ZeroconfAnnouncement

if TYPE_CHECKING:
    from .metrics import ServerMetrics
    from .server import ConnectionFactory, IPNetwork

_LOGGER = logging.getLogger(__name__)


def positive_int(text: str) -> int:
    """Argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """Argparse type: a float > 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def queue_length(text: str) -> int:
    """Argparse type: how many clients may wait for a turn (0: none)."""
    value = int(text)
    try:
        ClientLimits(max_queued=value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return value


def queue_seconds(text: str) -> float:
    """Argparse type: the longest a client waits for a turn."""
    value = float(text)
    try:
        ClientLimits(queue_timeout=value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return value


def port_number(text: str) -> int:
    """Argparse type: a TCP port."""
    value = int(text)
    if not 1 <= value <= 65535:  # noqa: PLR2004 - TCP port range
        raise argparse.ArgumentTypeError(f"not a TCP port: {value}")
    return value


def network(text: str) -> IPNetwork:
    """Argparse type: a CIDR network such as 192.168.1.0/24."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def add_server_arguments(
    parser: argparse.ArgumentParser, *, default_uri: str, zeroconf_name: str
) -> None:
    """Add the flags every Local Voice Wyoming server takes."""
    parser.add_argument("--uri", default=default_uri, help="tcp://HOST:PORT, unix://PATH, stdio://")
    parser.add_argument(
        "--zeroconf",
        nargs="?",
        const=zeroconf_name,
        metavar="NAME",
        help=f"announce as _wyoming._tcp.local. (default name: {zeroconf_name})",
    )
    parser.add_argument(
        "--max-clients",
        type=positive_int,
        default=DEFAULT_MAX_CLIENTS,
        help="connections served at once",
    )
    parser.add_argument(
        "--max-queued",
        type=queue_length,
        default=DEFAULT_MAX_QUEUED,
        help="more clients that wait for a turn, first come first served; past that a"
        " client gets a too-many-clients error (0: refuse at once)",
    )
    parser.add_argument(
        "--queue-timeout",
        type=queue_seconds,
        default=DEFAULT_QUEUE_TIMEOUT,
        metavar="SECONDS",
        help="longest wait for a turn; then a queue-timeout error",
    )
    parser.add_argument(
        "--allow",
        type=network,
        action="append",
        metavar="CIDR",
        help="only accept clients from these networks (repeatable; default: loopback and "
        "the private LAN ranges " + ", ".join(DEFAULT_ALLOW) + ")",
    )
    parser.add_argument("--metrics-port", type=port_number, help="serve Prometheus /metrics")
    parser.add_argument("--metrics-host", default="127.0.0.1")
    parser.add_argument("--max-line-bytes", type=positive_int, default=DEFAULT_MAX_LINE)
    parser.add_argument("--max-data-bytes", type=positive_int, default=DEFAULT_MAX_DATA)
    parser.add_argument("--max-payload-bytes", type=positive_int, default=DEFAULT_MAX_PAYLOAD)
    parser.add_argument("--read-timeout", type=positive_float, default=DEFAULT_READ_TIMEOUT)
    parser.add_argument("--idle-timeout", type=positive_float, default=DEFAULT_IDLE_TIMEOUT)
    parser.add_argument("--write-timeout", type=positive_float, default=DEFAULT_WRITE_TIMEOUT)
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")


def limits_from_args(args: argparse.Namespace) -> ReadLimits:
    """The caps and timeouts given on the command line."""
    return ReadLimits(
        max_line=args.max_line_bytes,
        max_data=args.max_data_bytes,
        max_payload=args.max_payload_bytes,
        read_timeout=args.read_timeout,
        idle_timeout=args.idle_timeout,
        write_timeout=args.write_timeout,
    )


def clients_from_args(args: argparse.Namespace) -> ClientLimits:
    """How many clients are served at once and how many wait, how long."""
    return ClientLimits(
        max_clients=args.max_clients,
        max_queued=args.max_queued,
        queue_timeout=args.queue_timeout,
    )


def allowed_networks(args: argparse.Namespace) -> list[IPNetwork]:
    """``--allow`` as given, else loopback and the private LAN ranges (never "anyone")."""
    return list(args.allow or [ipaddress.ip_network(n) for n in DEFAULT_ALLOW])


def setup_logging(debug: bool) -> None:
    """Log to stderr (stdout may carry the protocol with stdio://)."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


async def serve(
    args: argparse.Namespace, factory: ConnectionFactory, metrics: ServerMetrics
) -> None:
    """Run the server the arguments describe until SIGINT/SIGTERM."""
    if args.zeroconf and not args.uri.startswith("tcp://"):
        raise SystemExit("--zeroconf needs a tcp:// --uri")
    if args.metrics_port:
        serve_metrics(args.metrics_port, args.metrics_host)
        _LOGGER.info("metrics on http://%s:%d/metrics", args.metrics_host, args.metrics_port)
    context = ConnectionContext(metrics=metrics, limits=limits_from_args(args))
    server = WyomingServer(
        args.uri,
        factory,
        context,
        clients=clients_from_args(args),
        allow=allowed_networks(args),
    )
    await server.start()
    announcement: ZeroconfAnnouncement | None = None
    if args.zeroconf:
        host = None if server.host in {"0.0.0.0", "::"} else server.host  # noqa: S104
        announcement = ZeroconfAnnouncement(args.zeroconf, server.port, host)
        await announcement.register()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    serving = asyncio.create_task(server.serve_forever())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        _LOGGER.info("stopping")
        stopping.cancel()
        if announcement is not None:
            await announcement.close()
        await server.stop()
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
