"""The MQTT link: connect, stay connected, never crash on a broker outage.

paho's own reconnect loop backs off without jitter, so a house full of
satellites would hammer a restarted broker in lockstep. Here paho runs with
``reconnect_on_failure=False``: its network thread ends when the connection
is lost, and a supervisor thread reconnects after an exponential backoff
with full jitter. Every successful connection re-subscribes and calls
``on_connected`` (which re-announces); the last will marks the satellite
``offline`` if it vanishes.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
from typing import TYPE_CHECKING, Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .config import BrokerConfig

_LOGGER = logging.getLogger(__name__)
BACKOFF_MIN_S: Final = 0.5
BACKOFF_MAX_S: Final = 30.0


class Backoff:
    """Exponential backoff with full jitter (AWS architecture blog's "full jitter")."""

    def __init__(
        self,
        base: float = BACKOFF_MIN_S,
        cap: float = BACKOFF_MAX_S,
        rng: random.Random | None = None,
    ) -> None:
        self.base, self.cap = base, cap
        self.attempt = 0
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def next_delay(self) -> float:
        """Delay before the next attempt: uniform in [base/2, min(cap, base * 2**n)]."""
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return self._rng.uniform(min(self.base / 2, ceiling), ceiling)

    def reset(self) -> None:
        """After a good connection."""
        self.attempt = 0


class MqttLink:
    """One paho client, kept connected by a supervisor thread."""

    def __init__(
        self,
        broker: BrokerConfig,
        client_id: str,
        *,
        subscriptions: Iterable[str],
        will: tuple[str, str],
        on_connected: Callable[[], None],
        on_message: Callable[[str, bytes], None],
        on_disconnected: Callable[[], None],
    ) -> None:
        self._broker = broker
        self._subscriptions = tuple(subscriptions)
        self._on_connected = on_connected
        self._on_message_cb = on_message
        self._on_disconnected = on_disconnected
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._connected = threading.Event()
        self.backoff = Backoff()
        self.connections = 0
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            reconnect_on_failure=False,
        )
        self._client.will_set(will[0], will[1], qos=1, retain=True)
        if broker.username is not None:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set(
                ca_certs=str(broker.ca_file) if broker.ca_file else None,
                certfile=str(broker.cert_file) if broker.cert_file else None,
                keyfile=str(broker.key_file) if broker.key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        self._client.max_queued_messages_set(1000)
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_message = self._handle_message
        self._thread = threading.Thread(target=self._supervise, name="mqtt-supervisor", daemon=True)

    @property
    def connected(self) -> bool:
        """True between CONNACK and the loss of the connection."""
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background (failures are retried, never raised)."""
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected or ``timeout``."""
        return self._connected.wait(timeout)

    def publish(
        self, topic: str, payload: bytes | str, *, qos: int = 0, retain: bool = False
    ) -> bool:
        """Publish if connected; False (and nothing raised) when offline."""
        if not self._connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def stop(self, final: tuple[str, str] | None = None) -> None:
        """Publish ``final`` (topic, payload; retained), disconnect cleanly, join."""
        self._stop.set()
        if final is not None and self._connected.is_set():
            info = self._client.publish(final[0], final[1], qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                _LOGGER.debug("final message not confirmed")
        self._client.disconnect()
        self._lost.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._client.loop_stop()

    # -- supervisor ---------------------------------------------------------

    def _supervise(self) -> None:
        first = True
        while not self._stop.is_set():
            self._lost.clear()
            try:
                if first:
                    first = False
                    self._client.connect(
                        self._broker.host, self._broker.port, keepalive=self._broker.keepalive
                    )
                else:
                    self._client.reconnect()
            except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
                delay = self.backoff.next_delay()
                _LOGGER.warning(
                    "cannot reach broker %s:%s (%s); retrying in %.1f s",
                    self._broker.host,
                    self._broker.port,
                    err,
                    delay,
                )
                self._stop.wait(delay)
                continue
            self._client.loop_start()
            self._lost.wait()  # set by on_disconnect / a refused CONNACK / stop()
            self._client.loop_stop()
            if self._stop.is_set():
                break
            delay = self.backoff.next_delay()
            _LOGGER.warning("connection lost; reconnecting in %.1f s", delay)
            self._stop.wait(delay)

    # -- paho callbacks (network thread) ------------------------------------

    def _handle_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            _LOGGER.error("broker refused the connection: %s", reason)
            self._lost.set()
            return
        self.connections += 1
        self.backoff.reset()
        for topic in self._subscriptions:
            client.subscribe(topic, qos=1)
        self._connected.set()
        _LOGGER.info("connected to %s:%s", self._broker.host, self._broker.port)
        try:
            self._on_connected()
        except Exception:
            _LOGGER.exception("on_connected failed")

    def _handle_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        self._lost.set()
        if was_connected and not self._stop.is_set():
            _LOGGER.warning("disconnected from broker: %s", reason)
            try:
                self._on_disconnected()
            except Exception:
                _LOGGER.exception("on_disconnected failed")

    def _handle_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self._on_message_cb(msg.topic, bytes(msg.payload))
        except Exception:  # a bad message must never kill the network thread
            _LOGGER.exception("error handling message on %s", msg.topic[:120])
