"""Announce a server as ``_wyoming._tcp.local.`` so HA's discovery flow finds it.

HA's ``wyoming`` integration listens for this service type, takes the
instance name before the first dot as the title, and then sends
``describe`` to the announced address and port.
"""

from __future__ import annotations

import logging
import socket
from typing import Final

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE: Final = "_wyoming._tcp.local."
_MDNS_TARGET: Final = "224.0.0.251"


def default_host() -> str:
    """The address other hosts reach us by (the one a multicast route would use)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.setblocking(False)  # noqa: FBT003 - socket API
        probe.connect((_MDNS_TARGET, 1))
        host: str = probe.getsockname()[0]
    except OSError:
        host = "127.0.0.1"
    finally:
        probe.close()
    return host


class ZeroconfAnnouncement:
    """One registered service; ``close()`` withdraws it."""

    def __init__(self, name: str, port: int, host: str | None = None) -> None:
        if not name or "." in name or len(name) > 63:  # noqa: PLR2004 - DNS label limit
            raise ValueError("zeroconf name must be 1-63 characters without dots")
        self.name = name
        self.port = port
        self.host = host or default_host()
        self.info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"{name}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(self.host)],
            port=port,
        )
        self._zc: AsyncZeroconf | None = None

    async def register(self) -> None:
        """Start answering mDNS queries for the service."""
        self._zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
        await self._zc.async_register_service(self.info)
        _LOGGER.info("zeroconf: announced %s at %s:%s", self.info.name, self.host, self.port)

    async def close(self) -> None:
        """Withdraw the service and stop the responder."""
        if self._zc is not None:
            await self._zc.async_unregister_all_services()
            await self._zc.async_close()
            self._zc = None
