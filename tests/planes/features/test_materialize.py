"""One materialization, with real Feast: facts -> Parquet -> SQLite online store -> `materialized.json`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import fractalops
from fractalops.planes.features import (
    FEATURE_REFS,
    FeastHandle,
    FeatureRepo,
    entity_row,
    materialize_once,
    open_online_store,
    read_marker,
)
from fractalops.planes.live import LiveOutbox
from fractalops.planes.proposals import ProposalStore
from fractalops.planes.warehouse import get_warehouse

PROJECTION = {"owner": "o", "status": "running", "current_agent": "forge", "pending_approvals": 0,
              "live_signal": "x", "hud": {}, "diagnostics": {}}


class Planes:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = FeatureRepo.in_data_dir(root)
        self.handle = FeastHandle(self.repo)
        self.proposals, self.outbox = ProposalStore.in_data_dir(root), LiveOutbox.in_data_dir(root)
        self.n = 0

    def step(self, agent: str, **data) -> None:
        self.n += 1
        self.outbox.record(thread_id="t", agent=agent, events=[(f"k{self.n}", "step", "s", data)],
                           projection=PROJECTION)

    def materialize(self, now: datetime | None = None):
        return materialize_once(self.repo, self.handle, proposals=self.proposals, outbox=self.outbox,
                                warehouse=get_warehouse(), now=now)

    def online(self, agent: str, asset: str) -> dict:
        store = open_online_store(self.repo)
        row = store.get_online_features(features=list(FEATURE_REFS), entity_rows=[entity_row(agent, asset)],
                                        full_feature_names=True).to_dict()
        return {k: v[0] for k, v in row.items()}


@pytest.fixture
def planes(data_dir) -> Planes:
    return Planes(data_dir)


def test_facts_reach_the_online_store_and_the_marker_says_as_of_when(planes: Planes) -> None:
    planes.step("forge", asset="codex.default", failure="AdapterTimeoutError", adapter_timeouts=1)
    get_warehouse().quarantine("posthog", "unknown event", {"event": "x"})
    first = planes.materialize()
    assert first.generation == 1 and first.full
    assert first.changed == {"agent_features": 1, "asset_features": 1, "warehouse_features": 1}
    assert read_marker(planes.repo) == first
    row = planes.online("forge", "codex.default")
    assert row["agent_features__adapter_timeouts_24h"] == 1
    assert row["asset_features__last_failure_family"] == "AdapterTimeoutError"
    assert row["warehouse_features__quarantine_growth_24h"] == 1

    planes.step("forge", asset="codex.default", adapter_timeouts=1)
    second = planes.materialize()
    assert (second.generation, second.full, second.changed["agent_features"]) == (2, False, 1)
    assert planes.online("forge", "codex.default")["agent_features__adapter_timeouts_24h"] == 2

    unchanged = planes.materialize()
    assert unchanged.changed == {"agent_features": 0, "asset_features": 0, "warehouse_features": 0}
    assert unchanged.as_of > second.as_of, "nothing changed, yet the store is as fresh as the facts just read"
    modes = {p.name: p.stat().st_mode & 0o777 for p in planes.repo.path.rglob("*") if p.is_file()}
    assert set(modes.values()) == {0o600}, modes


def test_a_deleted_online_store_is_reloaded_whole(planes: Planes) -> None:
    planes.step("forge", asset="codex.default", adapter_timeouts=1)
    planes.step("ledger", asset="native", failure="WarehouseError")
    planes.materialize()
    planes.repo.online_path.unlink()
    planes.step("forge", asset="codex.default", adapter_timeouts=1)
    again = planes.materialize()
    assert again.full and again.online_inode == planes.repo.online_path.stat().st_ino
    assert planes.online("forge", "codex.default")["agent_features__adapter_timeouts_24h"] == 2
    assert planes.online("ledger", "native")["agent_features__last_failure_family"] == "WarehouseError", (
        "ledger's row did not change, yet it is back: the whole history was loaded")


def test_a_fact_leaving_its_window_changes_the_row(planes: Planes) -> None:
    planes.step("forge", asset="codex.default", adapter_timeouts=3)
    planes.materialize()
    tomorrow = planes.materialize(now=datetime.now(UTC) + timedelta(hours=25))
    assert tomorrow.changed["agent_features"] == 1
    assert planes.online("forge", "codex.default")["agent_features__adapter_timeouts_24h"] == 0


def test_the_generated_repository_is_one_the_feast_cli_reads(planes: Planes) -> None:
    planes.step("forge", asset="codex.default")
    planes.materialize()
    feast = Path(sys.executable).with_name("feast")
    checkout = str(Path(fractalops.__file__).resolve().parents[1])  # this checkout's fractalops, not the venv's
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [checkout, os.environ.get("PYTHONPATH")]))}
    listed = subprocess.run([str(feast), "-c", str(planes.repo.path), "feature-views", "list"], capture_output=True,
                            text=True, timeout=120, cwd=planes.repo.path, env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert all(name in listed.stdout for name in ("agent_features", "asset_features", "warehouse_features"))
    planned = subprocess.run([str(feast), "-c", str(planes.repo.path), "plan"], capture_output=True, text=True,
                             timeout=120, cwd=planes.repo.path, env=env)
    assert planned.returncode == 0, planned.stderr[-2000:]
    assert "Created feature view" not in planned.stdout and "Deleted" not in planned.stdout, (
        "the views the repository file declares are the ones the harness applied")


def test_rows_a_failed_run_exported_are_loaded_by_the_next(planes: Planes) -> None:
    planes.step("forge", asset="codex.default", adapter_timeouts=1)
    planes.materialize()
    planes.step("forge", asset="codex.default", adapter_timeouts=1)
    lock = sqlite3.connect(planes.repo.online_path, timeout=0, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            planes.materialize()  # the export is written, Feast's write fails
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    retried = planes.materialize()
    assert retried.changed["agent_features"] == 0, "the export already holds the row"
    assert planes.online("forge", "codex.default")["agent_features__adapter_timeouts_24h"] == 2


def test_materializations_from_several_threads_all_finish(data_dir: Path) -> None:
    """Regression: Feast's dask evaluation deadlocked on Python 3.11's shared `cached_property` lock when two
    threads materialized at once (every thread parked in `functools.__get__`); they now take turns."""
    import threading

    import dask

    planes = [Planes(data_dir / f"p{i}") for i in range(4)]
    for p in planes:
        p.step("forge", asset="codex.default", adapter_timeouts=1)
    done: list[int] = []
    threads = [threading.Thread(target=lambda p=p: done.append(p.materialize().generation), daemon=True)
               for p in planes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert done == [1, 1, 1, 1], "a materialization never finished"
    assert dask.config.get("scheduler") == "synchronous"
    assert all(p.online("forge", "codex.default")["agent_features__adapter_timeouts_24h"] == 1 for p in planes)
