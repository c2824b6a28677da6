"""The peer servers run without our servers' tuning (``peer_servers.peer_env``)."""

from __future__ import annotations

import os

import pytest

import wyoming_servers
from local_voice_harness import peer_servers


def test_this_process_got_the_openblas_default() -> None:
    """The harness imports ``wyoming_servers``, so its children would inherit the default."""
    if "OPENBLAS_NUM_THREADS" not in wyoming_servers.DEFAULTS_SET:
        pytest.skip("OPENBLAS_NUM_THREADS was set before the tests started")
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert "OPENBLAS_NUM_THREADS" not in peer_servers.peer_env()


def test_our_default_is_left_out_and_everything_else_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(peer_servers, "DEFAULTS_SET", frozenset({"OPENBLAS_NUM_THREADS"}))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("LV_SOMETHING_ELSE", "kept")
    env = peer_servers.peer_env()
    assert "OPENBLAS_NUM_THREADS" not in env
    assert env["LV_SOMETHING_ELSE"] == "kept"
    assert env["PATH"] == os.environ["PATH"]


def test_a_value_the_user_set_goes_to_the_peers_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peer_servers, "DEFAULTS_SET", frozenset())
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert peer_servers.peer_env()["OPENBLAS_NUM_THREADS"] == "2"


def test_telemetry_stays_off_for_the_peers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only performance tuning is withheld; nothing may leave the house in benchmarks either."""
    monkeypatch.setattr(peer_servers, "DEFAULTS_SET", frozenset({"ORT_DISABLE_TELEMETRY"}))
    monkeypatch.setenv("ORT_DISABLE_TELEMETRY", "1")
    assert peer_servers.peer_env()["ORT_DISABLE_TELEMETRY"] == "1"
