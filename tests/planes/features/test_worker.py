"""The materialization worker: requests never block and are coalesced, a failure is kept and retried, the timer."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from fractalops.errors import ConfigError, WarehouseError
from fractalops.planes.features import FeatureRepo, Materializer, materializer, read_marker
from fractalops.planes.live import LiveOutbox
from fractalops.planes.warehouse import get_warehouse

PROJECTION = {"owner": "o", "status": "running", "current_agent": "forge", "pending_approvals": 0,
              "live_signal": "x", "hud": {}, "diagnostics": {}}


class DownWarehouse:
    """A warehouse that cannot be reached (a deterministic double for the one failure the worker must survive)."""

    def query(self, sql: str, parameters: object = None) -> list[dict]:
        raise WarehouseError("warehouse unreachable (test double)")


def _step(root: Path, key: str, **data) -> None:
    LiveOutbox.in_data_dir(root).record(thread_id="t", agent="forge", events=[(key, "step", "s", data)],
                                        projection=PROJECTION)


def test_requests_do_not_wait_and_a_burst_is_served_together(data_dir) -> None:
    worker = materializer(data_dir)
    _step(data_dir, "k1", asset="native", adapter_timeouts=1)
    assert worker.wait(worker.request(get_warehouse()), 120) and worker.last_error == ""
    online = FeatureRepo.in_data_dir(data_dir).online_path
    _step(data_dir, "k2", asset="native", adapter_timeouts=1)
    before = worker.runs
    lock = sqlite3.connect(online, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # a run that reaches Feast's write waits here
    try:
        started = time.perf_counter()
        tickets = [worker.request(get_warehouse()) for _ in range(5)]
        assert time.perf_counter() - started < 0.5, "a request is a lock and a notify, never the run itself"
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert worker.wait(tickets[-1], 120) and worker.last_error == ""
    assert 1 <= worker.runs - before <= 2, "five requests, at most the run already going plus one more"
    assert read_marker(worker.repo).generation == worker.runs


def test_a_failed_run_is_kept_as_last_error_and_the_next_request_retries(data_dir) -> None:
    worker = materializer(data_dir)
    assert worker.wait(worker.request(DownWarehouse()), 120)
    assert worker.last_error == "WarehouseError: warehouse unreachable (test double)" and worker.last is None
    assert read_marker(worker.repo) is None, "nothing half-written: no marker, so readers name features missing"
    assert worker.wait(worker.request(get_warehouse()), 120)
    assert worker.last_error == "" and worker.last is not None and worker.last.generation == 1


def test_the_timer_materializes_until_stopped(data_dir) -> None:
    worker = materializer(data_dir)
    worker.start_timer(0.05, get_warehouse)
    assert worker.wait_for_runs(2, 120), "two ticks without any request"
    worker.stop()
    assert not worker.running
    assert read_marker(worker.repo).generation >= 2


def test_requests_within_the_spacing_wait_for_it_and_are_served_by_one_run(data_dir) -> None:
    worker = Materializer(data_dir, spacing_s=1.0)
    assert worker.wait(worker.request(get_warehouse()), 120) and worker.last_error == ""
    ended, runs = time.monotonic(), worker.runs
    tickets = [worker.request(get_warehouse()) for _ in range(3)]
    assert worker.wait(tickets[-1], 120) and worker.last_error == ""
    assert time.monotonic() - ended >= 0.9, "the next run waited out the spacing (less the waiter's wake-up)"
    assert worker.runs == runs + 1, "three requests inside the spacing, one run"
    worker.stop()


def test_a_bad_spacing_is_named(data_dir, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_FEATURES_SPACING_S", "soon")
    with pytest.raises(ConfigError, match="FRACTALOPS_FEATURES_SPACING_S='soon' is not a number"):
        Materializer(data_dir)
