"""`FeatureReader.read`: within its budget or named missing, stale named, never invented; cached until the store
changes, and one Feast call refreshes every pair the process reads."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fractalops.planes.features import (
    FEATURE_NAMES,
    FeastHandle,
    FeatureReader,
    FeatureRepo,
    feature_reader,
    materialize_once,
)
from fractalops.planes.live import LiveOutbox
from fractalops.planes.proposals import ProposalStore
from fractalops.planes.warehouse import get_warehouse

PROJECTION = {"owner": "o", "status": "running", "current_agent": "forge", "pending_approvals": 0,
              "live_signal": "x", "hud": {}, "diagnostics": {}}
SLOW_OK = 30.0
"""Budget for reads that must succeed (the first read in a process opens the store; the machine may be loaded)."""


@contextmanager
def locked(db: Path):
    """Hold an exclusive lock on the online store, as a long write would: a Feast read blocks on it."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _materialize(root: Path, handle: FeastHandle, agent: str = "forge", **step_data) -> None:
    outbox = LiveOutbox.in_data_dir(root)
    n = len(outbox.events()) + 1
    outbox.record(thread_id="t", agent=agent, events=[(f"k{n}", "step", "s", step_data)], projection=PROJECTION)
    materialize_once(FeatureRepo.in_data_dir(root), handle, proposals=ProposalStore.in_data_dir(root), outbox=outbox,
                     warehouse=get_warehouse())


@pytest.fixture
def store(data_dir) -> FeastHandle:
    handle = FeastHandle(FeatureRepo.in_data_dir(data_dir))
    _materialize(data_dir, handle, asset="codex.default", adapter_timeouts=2, failure="AdapterTimeoutError")
    assert feature_reader(data_dir).ready(120)
    return handle


def test_no_online_store_names_every_feature_missing(data_dir) -> None:
    read = feature_reader(data_dir).read("forge", "codex.default", budget_s=0.05)
    assert read.missing == FEATURE_NAMES and not read.values and not read.fresh
    assert f"no online store at {data_dir / 'features' / 'online.db'}" in read.reason
    assert read.note().startswith("missing agent.proof_closure_rate, ")


def test_values_come_from_the_store_and_an_unknown_entity_is_missing(data_dir, store) -> None:
    read = feature_reader(data_dir).read("forge", "codex.default", budget_s=SLOW_OK)
    assert read.fresh and read.note() == ""
    assert read.get("agent.adapter_timeouts_24h") == 2 and read.get("asset.last_failure_family") == "AdapterTimeoutError"
    assert read.get("agent.proof_closure_rate") is None and "agent.proof_closure_rate" in read.values, (
        "a null is a fact (no proposal applied), not a missing feature")
    nobody = feature_reader(data_dir).read("nobody", "codex.default", budget_s=SLOW_OK)
    assert nobody.missing == tuple(n for n in FEATURE_NAMES if n.startswith("agent."))
    assert nobody.get("asset.adapter_timeouts_24h") == 2
    assert "no agent row for 'nobody' in the online store" in nobody.reason


def test_a_read_over_its_budget_is_abandoned_and_named(data_dir, store) -> None:
    reader = feature_reader(data_dir)
    with locked(FeatureRepo.in_data_dir(data_dir).online_path):
        read = reader.read("forge", "codex.default", budget_s=0.05)
    assert read.missing == FEATURE_NAMES and read.reason == "feature read over its 50 ms budget"
    assert reader.read("forge", "codex.default", budget_s=SLOW_OK).fresh, "the next step reads again"


def test_an_abandoned_read_that_lands_late_serves_the_next_steps(data_dir, store) -> None:
    reader = feature_reader(data_dir)
    online = FeatureRepo.in_data_dir(data_dir).online_path
    with locked(online):
        assert reader.read("forge", "codex.default", budget_s=0.05).missing == FEATURE_NAMES
    FeatureReader.warm().result(timeout=SLOW_OK)  # the one reader thread ran the abandoned read before this
    with locked(online):  # Feast could not answer now: only the late answer, cached, can serve this step
        late = reader.read("forge", "codex.default", budget_s=0.05)
    assert late.fresh and late.get("agent.adapter_timeouts_24h") == 2


def test_old_features_are_served_but_named_stale(data_dir, store) -> None:
    reader = feature_reader(data_dir)
    fresh = reader.read("forge", "codex.default", budget_s=SLOW_OK)
    later = datetime.fromisoformat(fresh.as_of) + timedelta(seconds=1000)
    stale = reader.read("forge", "codex.default", budget_s=SLOW_OK, max_age_s=900, now=later)
    assert stale.stale == FEATURE_NAMES and stale.get("agent.adapter_timeouts_24h") == 2
    assert f"as of {fresh.as_of}, 1000 s old, over the 900 s freshness bound" in stale.reason
    assert stale.note().startswith("stale agent.proof_closure_rate")


def test_a_replaced_store_is_not_read(data_dir, store, tmp_path) -> None:
    repo = FeatureRepo.in_data_dir(data_dir)
    shutil.copy(repo.online_path, tmp_path / "copy.db")
    repo.online_path.unlink()
    shutil.move(tmp_path / "copy.db", repo.online_path)
    read = feature_reader(data_dir).read("forge", "codex.default", budget_s=SLOW_OK)
    assert read.missing == FEATURE_NAMES and "was replaced after its last materialization" in read.reason
    repo.marker_path.write_text("{not json")
    assert "is unreadable" in feature_reader(data_dir).read("forge", "codex.default", budget_s=SLOW_OK).reason


def test_one_feast_call_after_a_materialization_refreshes_every_pair(data_dir, store) -> None:
    reader = feature_reader(data_dir)
    _materialize(data_dir, store, agent="ledger", asset="native", failure="WarehouseError")
    assert reader.read("ledger", "native", budget_s=SLOW_OK).fresh
    assert reader.read("forge", "codex.default", budget_s=SLOW_OK).fresh
    _materialize(data_dir, store, agent="ledger", asset="native", failure="EvidenceError")
    assert reader.read("forge", "codex.default", budget_s=SLOW_OK).fresh
    with locked(FeatureRepo.in_data_dir(data_dir).online_path):  # Feast could not answer now
        ledger = reader.read("ledger", "native", budget_s=0.05)
    assert ledger.fresh and ledger.get("agent.last_failure_family") == "EvidenceError", (
        "ledger's pair was refreshed by forge's read after the materialization, so its step needs no Feast call")


def test_a_bad_budget_setting_is_a_config_error(data_dir, monkeypatch) -> None:
    from fractalops.errors import ConfigError

    monkeypatch.setenv("FRACTALOPS_FEATURES_BUDGET_MS", "fast")
    os.makedirs(data_dir / "features", exist_ok=True)
    with pytest.raises(ConfigError, match="FRACTALOPS_FEATURES_BUDGET_MS='fast' is not a number"):
        feature_reader(data_dir).read("forge", "native")


class NoQuarantine:
    """The real warehouse, without a quarantine table (as one whose telemetry schema is not there yet)."""

    def __init__(self) -> None:
        self.real = get_warehouse()

    def query(self, sql: str, parameters: object = None) -> list[dict]:
        if "FROM quarantine" in sql:
            from fractalops.errors import WarehouseError

            raise WarehouseError("Table quarantine does not exist (test double)")
        return self.real.query(sql, parameters)


def test_a_feature_whose_source_is_unreadable_is_missing_not_zero(data_dir, store) -> None:
    reader = feature_reader(data_dir)
    assert reader.read("forge", "codex.default", budget_s=SLOW_OK).get("warehouse.quarantine_growth_24h") == 0
    materialize_once(FeatureRepo.in_data_dir(data_dir), store, proposals=ProposalStore.in_data_dir(data_dir),
                     outbox=LiveOutbox.in_data_dir(data_dir), warehouse=NoQuarantine())
    read = reader.read("forge", "codex.default", budget_s=SLOW_OK)
    assert read.missing == ("warehouse.quarantine_growth_24h",) and "warehouse.quarantine_growth_24h" not in read.values
    assert ("warehouse.quarantine_growth_24h: the warehouse's quarantine table could not be read (Table quarantine "
            "does not exist") in read.reason
    assert read.get("agent.adapter_timeouts_24h") == 2, "every other feature is served"
    _materialize(data_dir, store)
    assert reader.read("forge", "codex.default", budget_s=SLOW_OK).fresh, "readable again, served again"


def test_a_materialization_that_loaded_nothing_keeps_the_cache_and_moves_the_as_of(data_dir, store) -> None:
    reader = feature_reader(data_dir)
    before = reader.read("forge", "codex.default", budget_s=SLOW_OK)
    repo = FeatureRepo.in_data_dir(data_dir)
    quiet = materialize_once(repo, store, proposals=ProposalStore.in_data_dir(data_dir),
                             outbox=LiveOutbox.in_data_dir(data_dir), warehouse=get_warehouse())
    assert not any(quiet.changed.values()) and quiet.written == quiet.generation - 1, "no new fact, nothing loaded"
    with locked(repo.online_path):  # Feast could not answer now: only the cache can serve this step
        after = reader.read("forge", "codex.default", budget_s=0.05)
    assert after.fresh and after.values == before.values and after.as_of == quiet.as_of != before.as_of
    _materialize(data_dir, store, adapter_timeouts=1)  # a new fact: rows loaded, the cache is dropped
    with locked(repo.online_path):
        assert reader.read("forge", "codex.default", budget_s=0.05).missing == FEATURE_NAMES
