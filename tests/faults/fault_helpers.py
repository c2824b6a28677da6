"""Helpers for the fault tests: crash a process by PID, bring it back, watch the satellite's topics.

Faults are crashes (SIGKILL), not polite shutdowns: a process that dies
mid-sentence gets no chance to say goodbye, which is what a power cut or
the kernel's OOM killer does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from local_voice_harness.ha_client import HAClient

if TYPE_CHECKING:
    from local_voice_harness.stack import Stack


def crash(pid: int | None) -> float:
    """SIGKILL ``pid``, wait until it is gone; return when it was killed (monotonic)."""
    assert pid, "the process is not running"
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return killed_at
        # A killed child stays a zombie until reaped by its Popen; that is gone enough.
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123
            if stat.read().split(") ", 1)[1].startswith("Z"):
                return killed_at
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} survived SIGKILL")


@dataclass
class StateWatch:
    """Timestamps of the ``state`` messages HA sends one satellite (resubscribes on reconnect)."""

    port: int
    satellite_id: str
    states: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="lv-fault-watch")
        topic = f"local_voice/{self.satellite_id}/state"
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            data = json.loads(msg.payload)
        except ValueError:
            return
        with self.lock:
            self.states.append((time.monotonic(), data))

    def first_error_after(self, since: float) -> tuple[float, dict[str, Any]] | None:
        """The first state carrying an error code at or after ``since``."""
        with self.lock:
            for when, data in self.states:
                if when >= since and data.get("error_code"):
                    return when, data
        return None

    async def wait_error_after(self, since: float, limit_s: float = 10.0) -> float:
        """When the first error state at or after ``since`` arrived (waits up to ``limit_s``)."""
        deadline = time.monotonic() + limit_s
        while (error := self.first_error_after(since)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no error state within {limit_s} s")
            await asyncio.sleep(0.02)
        return error[0]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


async def wait_ha_mqtt(client: HAClient, port: int, limit_s: float = 60.0) -> float:
    """Seconds until HA's own MQTT client is connected and subscribed again.

    HA subscribes (websocket ``mqtt/subscribe``) to a probe topic; a paho
    client publishes to it until HA relays one message: HA's MQTT connection
    and its subscriptions are live, so the satellites' topics are too.
    """
    began = time.monotonic()
    heard = asyncio.Event()
    topic = f"lv_fault_probe/{uuid.uuid4().hex[:8]}"
    sub = await client.subscribe("mqtt/subscribe", lambda _event: heard.set(), topic=topic)
    probe = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"lv-probe-{uuid.uuid4().hex[:6]}")
    try:
        probe.connect("127.0.0.1", port)
        probe.loop_start()
        while not heard.is_set():
            if time.monotonic() - began > limit_s:
                raise AssertionError(f"HA's MQTT did not come back within {limit_s} s")
            probe.publish(topic, "ping", qos=0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.wait(), 0.25)
    finally:
        probe.loop_stop()
        probe.disconnect()
        client.forget(sub)
    return time.monotonic() - began


async def reconnect_client(stack: Stack) -> HAClient:
    """A fresh logged-in HA client after HA restarted (the old websocket died with it)."""
    assert stack.ha is not None
    if stack.client is not None:
        await stack.client.close()
    client = stack.client = HAClient(stack.ha.base_url)
    await client.login("demo", stack._password)
    await client.connect_ws()
    await stack._wait_running(client)
    return client
