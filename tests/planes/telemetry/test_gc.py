"""`collections_deferred` pauses the cyclic collector for a body and restores exactly what was there before."""

from __future__ import annotations

import gc
import threading

from fractalops.planes.telemetry._gc import collections_deferred


def test_paused_inside_enabled_after_nested_blocks() -> None:
    assert gc.isenabled()
    with collections_deferred():
        assert not gc.isenabled()
        with collections_deferred():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer body is still running
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collections_deferred():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_enabled_again_when_the_last_of_two_threads_is_done() -> None:
    inside, release = threading.Event(), threading.Event()

    def body() -> None:
        with collections_deferred():
            inside.set()
            release.wait(10)

    other = threading.Thread(target=body)
    other.start()
    inside.wait(10)
    with collections_deferred():
        pass
    assert not gc.isenabled()  # the other thread's body still runs
    release.set()
    other.join(10)
    assert gc.isenabled()


def test_an_error_in_the_block_still_restores_the_collector() -> None:
    try:
        with collections_deferred():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
