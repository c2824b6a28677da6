"""A small async client for HA's REST and websocket APIs, as the frontend uses them.

The harness configures HA like a user would (login, config-entry flows,
pipelines) but through the APIs instead of clicks, and watches it through
the websocket (state changes, pipeline events).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any, Self

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

type EventCallback = Callable[[dict[str, Any]], None]


class HAClientError(RuntimeError):
    """HA refused a request or answered something unexpected."""


class HAClient:
    """REST + one websocket connection, authenticated with a user's access token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = self.base_url + "/"
        self.token = ""
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._subscriptions: dict[int, EventCallback] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session (created on first use)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return self._session

    async def login(self, username: str, password: str) -> None:
        """``/auth/login_flow`` then ``/auth/token``: the frontend's login, by API."""
        flow = await self._json(
            "post",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
            auth=False,
        )
        done = await self._json(
            "post",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if done.get("type") != "create_entry":
            raise HAClientError(f"login refused: {done}")
        async with self.session.post(
            self.base_url + "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": done["result"],
                "client_id": self.client_id,
            },
        ) as resp:
            tokens = await resp.json()
            if resp.status != 200 or "access_token" not in tokens:  # noqa: PLR2004
                raise HAClientError(f"token exchange failed ({resp.status}): {tokens}")
        self.token = tokens["access_token"]

    async def _json(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, auth: bool = True
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        async with self.session.request(
            method, self.base_url + path, json=body, headers=headers
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:  # noqa: PLR2004 - HTTP error range
                raise HAClientError(f"{method.upper()} {path} -> {resp.status}: {text[:500]}")
            return await resp.json(content_type=None)

    async def get(self, path: str) -> Any:
        """REST GET."""
        return await self._json("get", path)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """REST POST."""
        return await self._json("post", path, body or {})

    async def states(self) -> dict[str, dict[str, Any]]:
        """All states by entity id."""
        return {s["entity_id"]: s for s in await self.get("/api/states")}

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any] | None = None
    ) -> None:
        """Call a service over the websocket and wait until it is done."""
        await self.ws("call_service", domain=domain, service=service, service_data=data or {})

    # --- websocket -----------------------------------------------------------------

    async def connect_ws(self) -> None:
        """Open and authenticate the websocket; start the reader task."""
        self._ws = await self.session.ws_connect(self.base_url + "/api/websocket", max_msg_size=0)
        hello = await self._ws.receive_json()
        if hello.get("type") != "auth_required":
            raise HAClientError(f"unexpected websocket greeting {hello}")
        await self._ws.send_json({"type": "auth", "access_token": self.token})
        reply = await self._ws.receive_json()
        if reply.get("type") != "auth_ok":
            raise HAClientError(f"websocket auth failed: {reply}")
        self._reader = asyncio.create_task(self._read_loop())

    async def _read_loop(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = msg.json()
            for item in data if isinstance(data, list) else [data]:
                self._dispatch(item)
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(HAClientError("websocket closed"))

    def _dispatch(self, item: dict[str, Any]) -> None:
        msg_id = item.get("id")
        if not isinstance(msg_id, int):
            return
        if item.get("type") == "event" and msg_id in self._subscriptions:
            self._subscriptions[msg_id](item["event"])
        elif item.get("type") == "result" and (fut := self._pending.pop(msg_id, None)):
            if fut.done():
                return
            if item.get("success"):
                fut.set_result(item.get("result"))
            else:
                fut.set_exception(HAClientError(f"websocket command failed: {item.get('error')}"))

    async def ws(self, msg_type: str, limit_s: float = 60.0, **fields: Any) -> Any:
        """Send one websocket command and return its result."""
        msg_id, fut = self._new_request()
        await self._send({"id": msg_id, "type": msg_type, **fields})
        return await asyncio.wait_for(fut, limit_s)

    async def subscribe(
        self, msg_type: str, callback: EventCallback, limit_s: float = 30.0, **fields: Any
    ) -> int:
        """Start a subscription (``subscribe_events``, ``assist_pipeline/run``...)."""
        msg_id, fut = self._new_request()
        self._subscriptions[msg_id] = callback
        await self._send({"id": msg_id, "type": msg_type, **fields})
        await asyncio.wait_for(fut, limit_s)
        return msg_id

    async def unsubscribe(self, sub_id: int) -> None:
        """End a subscription started with :meth:`subscribe`."""
        self._subscriptions.pop(sub_id, None)
        await self.ws("unsubscribe_events", subscription=sub_id)

    def forget(self, sub_id: int) -> None:
        """Drop a subscription that ends by itself (``assist_pipeline/run``)."""
        self._subscriptions.pop(sub_id, None)

    async def send_binary(self, data: bytes) -> None:
        """Send a binary websocket frame (pipeline audio: handler id byte + PCM)."""
        assert self._ws is not None
        await self._ws.send_bytes(data)

    def _new_request(self) -> tuple[int, asyncio.Future[Any]]:
        msg_id = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        return msg_id, fut

    async def _send(self, payload: dict[str, Any]) -> None:
        if self._ws is None:
            raise HAClientError("websocket not connected")
        await self._ws.send_json(payload)

    async def close(self) -> None:
        """Close the websocket and the HTTP session."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
