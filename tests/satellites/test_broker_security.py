"""The production broker config (satellites/broker) with a real mosquitto over TLS.

Users are created with add_satellite.sh, the config and ACL are the shipped
files with only paths and the port rewritten, and the CA is made by openssl
for this run.
"""

from __future__ import annotations

import json
import ssl
import time

import pytest
from satellite_helpers import MqttPeer, SecureBroker

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _peer(broker: SecureBroker, user: str | None, password: str | None = None) -> MqttPeer:
    pw = password if password is not None else broker.passwords.get(user or "")
    return MqttPeer(broker.port, username=user, password=pw, ca=broker.tls / "ca.crt")


def test_wrong_password_and_anonymous_are_refused(secure_broker: SecureBroker) -> None:
    wrong = _peer(secure_broker, "sat_a", "not-the-password")
    anonymous = _peer(secure_broker, None)
    good = _peer(secure_broker, "sat_a")
    try:
        assert wrong.connect().is_failure
        assert anonymous.connect().is_failure
        assert not good.connect().is_failure
    finally:
        for peer in (wrong, anonymous, good):
            peer.close()


def test_plain_tcp_is_refused(secure_broker: SecureBroker) -> None:
    """The only listener speaks TLS: a plaintext client never gets a CONNACK."""
    plain = MqttPeer(
        secure_broker.port, username="sat_a", password=secure_broker.passwords["sat_a"]
    )
    try:
        plain.client.connect("127.0.0.1", secure_broker.port)  # TCP itself is accepted
        plain.client.loop_start()
        time.sleep(1.0)
        assert plain.connack is None or plain.connack.is_failure
    finally:
        plain.close()


def test_untrusted_ca_is_rejected(secure_broker: SecureBroker) -> None:
    peer = MqttPeer(secure_broker.port, username="sat_a", password=secure_broker.passwords["sat_a"])
    peer.client.tls_set()  # system CAs: our test CA is not among them
    with pytest.raises(ssl.SSLError):
        peer.client.connect("127.0.0.1", secure_broker.port)


def test_satellites_are_confined_to_their_own_topics(secure_broker: SecureBroker) -> None:
    ha, sat_a, sat_b = (_peer(secure_broker, u) for u in ("homeassistant", "sat_a", "sat_b"))
    try:
        for peer in (ha, sat_a, sat_b):
            assert not peer.connect().is_failure
        ha.subscribe("local_voice/#")
        # A tries to read B's topics and everything; mosquitto 2.0.11 grants the
        # SUBACK but its ACL filters every delivery (checked below).
        sat_a.subscribe("local_voice/sat_b/audio/out/#", wait=0)
        sat_a.subscribe("local_voice/#", wait=0.5)
        sat_b.subscribe("local_voice/sat_b/audio/out/#")

        # A writes into B's topics and impersonates HA: nobody receives it.
        sat_a.publish(
            "local_voice/sat_b/event", json.dumps({"type": "wake_word", "wake_word_id": "x"}), qos=1
        )
        sat_a.publish("local_voice/sat_b/audio/out/evil", b"\0" * 320, qos=1)
        sat_a.publish("local_voice/sat_a/command", json.dumps({"command": "stop"}), qos=1)
        sat_a.publish("local_voice/sat_a/state", json.dumps({"state": "idle"}), qos=1)
        # What A may write arrives at HA; what HA writes arrives at its satellite only.
        sat_a.publish(
            "local_voice/sat_a/event",
            json.dumps({"type": "wake_word", "wake_word_id": "okay_nabu"}),
            qos=1,
        )
        ha.publish("local_voice/sat_a/command", json.dumps({"command": "stop"}), qos=1)
        ha.publish("local_voice/sat_b/audio/out/s1", b"\1" * 320, qos=1)

        assert (
            ha.wait_for(lambda m: m.topic == "local_voice/sat_a/event", 5).payload
            == b'{"type": "wake_word", "wake_word_id": "okay_nabu"}'
        )
        assert sat_a.wait_for(lambda m: m.topic == "local_voice/sat_a/command", 5)
        got_b = sat_b.wait_for(lambda m: m.topic.startswith("local_voice/sat_b/audio/out/"), 5)
        assert got_b.topic == "local_voice/sat_b/audio/out/s1"
        time.sleep(0.5)
        ha_topics = {m.topic for m in ha.log}
        assert "local_voice/sat_b/event" not in ha_topics  # A's forgery was dropped
        assert "local_voice/sat_a/state" not in ha_topics
        # HA's own command reached HA's wildcard too, but A's forged one did not: exactly one.
        assert sum(m.topic == "local_voice/sat_a/command" for m in ha.log) == 1
        assert all(not m.topic.startswith("local_voice/sat_b/") for m in sat_a.log)
        assert [m.topic for m in sat_b.log] == ["local_voice/sat_b/audio/out/s1"]
    finally:
        for peer in (ha, sat_a, sat_b):
            peer.close()


def test_timers_are_written_by_ha_and_rung_by_their_own_satellite(
    secure_broker: SecureBroker,
) -> None:
    """HA writes a satellite's retained timers; only that satellite writes what it rang."""
    ha, sat_a, sat_b = (_peer(secure_broker, u) for u in ("homeassistant", "sat_a", "sat_b"))
    try:
        for peer in (ha, sat_a, sat_b):
            assert not peer.connect().is_failure
        ha.subscribe("local_voice/#")
        sat_a.subscribe("local_voice/sat_a/timers", wait=0)
        sat_a.subscribe("local_voice/sat_a/timers/rang")
        timers = json.dumps({"timers": [], "at": 1.0})
        ha.publish("local_voice/sat_a/timers", timers, qos=1, retain=True)
        sat_b.publish("local_voice/sat_a/timers", json.dumps({"forged": 1}), qos=1, retain=True)
        sat_b.publish("local_voice/sat_a/timers/rang", json.dumps({"rang": ["x"]}), qos=1)
        sat_a.publish("local_voice/sat_a/timers", json.dumps({"self": 1}), qos=1)
        sat_a.publish("local_voice/sat_a/timers/rang", json.dumps({"rang": ["t1"]}), qos=1)
        got = sat_a.wait_for(lambda m: m.topic == "local_voice/sat_a/timers", 5)
        assert got.payload == timers.encode()
        rang = ha.wait_for(lambda m: m.topic == "local_voice/sat_a/timers/rang", 5)
        assert json.loads(rang.payload) == {"rang": ["t1"]}
        time.sleep(0.5)
        seen = [(m.topic, m.payload) for m in ha.log if "/timers" in m.topic]
        assert seen == [
            ("local_voice/sat_a/timers", timers.encode()),
            ("local_voice/sat_a/timers/rang", b'{"rang": ["t1"]}'),
        ]
    finally:
        for peer in (ha, sat_a, sat_b):
            peer.close()


def test_oversized_message_is_dropped(secure_broker: SecureBroker) -> None:
    ha, sat_a = _peer(secure_broker, "homeassistant"), _peer(secure_broker, "sat_a")
    try:
        assert not ha.connect().is_failure
        assert not sat_a.connect().is_failure
        ha.subscribe("local_voice/#")
        sat_a.client.publish("local_voice/sat_a/audio/in/s1", b"\0" * 40000)
        sat_a.publish("local_voice/sat_a/audio/in/s1", b"\0" * 3200)
        got = ha.wait_for(lambda m: "/audio/in/" in m.topic, 5)
        assert len(got.payload) == 3200
        assert all(len(m.payload) <= 32768 for m in ha.log)
    finally:
        ha.close()
        sat_a.close()


def test_last_will_is_allowed_for_the_satellite(secure_broker: SecureBroker) -> None:
    """The will goes to the satellite's own availability topic, which the ACL allows."""
    ha = _peer(secure_broker, "homeassistant")
    sat = _peer(secure_broker, "sat_b")
    sat.client.will_set("local_voice/sat_b/availability", "offline", qos=1, retain=True)
    try:
        assert not ha.connect().is_failure
        ha.subscribe("local_voice/+/availability")
        assert not sat.connect().is_failure
        sat.client._sock_close()  # vanish without DISCONNECT
        got = ha.wait_for(lambda m: m.topic == "local_voice/sat_b/availability", 10)
        assert got.payload == b"offline"
    finally:
        sat.client.loop_stop()
        ha.close()
