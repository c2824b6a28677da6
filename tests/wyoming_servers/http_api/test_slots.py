"""The gateway's ``--max-clients``/``--max-queued``: bounded work, bounded waiting, then 503."""

from __future__ import annotations

import asyncio

import pytest

from wyoming_servers.core.metrics import QUEUE_DEPTH, ServerMetrics
from wyoming_servers.http_api.errors import ApiError
from wyoming_servers.http_api.state import Slots


def _queued(server: str) -> float:
    return QUEUE_DEPTH.labels(server=server)._value.get()


async def test_queue_then_refuse() -> None:
    metrics = ServerMetrics("api-test-slots")
    slots = Slots(max_active=1, max_queued=1, metrics=metrics)
    release = asyncio.Event()
    order: list[str] = []

    async def hold(name: str) -> None:
        async with slots:
            order.append(name)
            await release.wait()

    first = asyncio.create_task(hold("first"))
    await asyncio.sleep(0)
    second = asyncio.create_task(hold("second"))
    await asyncio.sleep(0)
    assert slots.waiting == 1
    assert _queued("api-test-slots") == 1
    with pytest.raises(ApiError) as refused:
        async with slots:
            pass
    assert refused.value.status == 503
    assert refused.value.code == "too-many-clients"
    release.set()
    await asyncio.gather(first, second)
    assert order == ["first", "second"]
    assert slots.waiting == 0
    assert _queued("api-test-slots") == 0


async def test_cancelled_waiter_leaves_the_queue() -> None:
    slots = Slots(max_active=1, max_queued=4, metrics=ServerMetrics("api-test-cancel"))
    async with slots:
        waiter = asyncio.create_task(slots.__aenter__())
        await asyncio.sleep(0)
        assert slots.waiting == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert slots.waiting == 0
    async with slots:  # the slot was released, not leaked
        pass
