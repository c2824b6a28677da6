"""Which settings a decode gets: beside another, its retries, its threads."""

from __future__ import annotations


def test_a_decode_beside_another_is_cheaper_and_one_speaker_gets_the_full_decode() -> None:
    from wyoming_servers.asr.decode_settings import DecodeSettings, decode_settings

    idle = DecodeSettings(beam_size=5, window=1500)
    busy = DecodeSettings(beam_size=1, window=1000, under_load=True)
    three_seconds, twelve_seconds = 3 * 16000, 12 * 16000
    assert decode_settings(idle, busy, three_seconds, in_flight=1) == idle
    assert decode_settings(idle, busy, three_seconds, in_flight=2) == busy
    assert decode_settings(idle, busy, three_seconds, in_flight=4) == busy
    # Longer than the busy window: greedy, but the idle window (not the full 30 s).
    assert decode_settings(idle, busy, twelve_seconds, in_flight=3) == DecodeSettings(
        1, 1500, under_load=True
    )
    # Busy settings equal to the idle ones turn the switch off.
    same = DecodeSettings(beam_size=5, window=1500, under_load=True)
    assert decode_settings(idle, same, three_seconds, in_flight=4) == idle


def test_a_repetition_retries_in_the_idle_window_before_the_full_one() -> None:
    from wyoming_servers.asr.decode_settings import wider_windows

    three_seconds, twelve_seconds, twenty_seconds = 3 * 16000, 12 * 16000, 20 * 16000
    assert wider_windows(1000, 1500, three_seconds) == [1000, 1500, 3000]
    assert wider_windows(1500, 1500, three_seconds) == [1500, 3000]
    assert wider_windows(1500, 1500, twelve_seconds) == [1500, 3000]
    assert wider_windows(1000, 1500, twelve_seconds) == [1500, 3000]
    assert wider_windows(1500, 1500, twenty_seconds) == [3000]
    assert wider_windows(3000, 3000, three_seconds) == [3000]
    # The 10 s default: 15 s before the full window, and first for audio too long for 10 s.
    assert wider_windows(1000, 1000, three_seconds) == [1000, 1500, 3000]
    assert wider_windows(1000, 1000, twelve_seconds) == [1500, 3000]


def test_threads_per_decode_share_the_cores_among_the_workers() -> None:
    from wyoming_servers.asr.decode_settings import decode_threads

    assert decode_threads(2, cores=2) == 1
    assert decode_threads(2, cores=8) == 4
    assert decode_threads(4, cores=2) == 1  # never zero
    assert decode_threads(1, cores=4) == 4
    assert decode_threads(2) >= 1  # the host's own core count
