"""The Parquet exports: only changed rows are appended, history is pruned but never an entity's latest row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from fractalops.planes.features import FeatureRepo
from fractalops.planes.features.definitions import HISTORY
from fractalops.planes.features.offline import OfflineExport

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _agent(name: str, open_proposals: int) -> dict:
    return {"agent": name, "proof_closure_rate": None, "approval_latency_p50_s": None, "last_failure_family": "",
            "open_proposals": open_proposals, "adapter_timeouts_24h": 0}


def test_only_changes_are_appended_and_every_view_has_its_file(tmp_path) -> None:
    repo = FeatureRepo(tmp_path / "features")
    repo.generate()
    rows = {"agent": [_agent("forge", 1), _agent("ledger", 0)], "asset": [], "warehouse": [
        {"quarantine_growth_24h": 0}]}
    assert OfflineExport(repo).append(rows, T0) == {"agent_features": 2, "asset_features": 0, "warehouse_features": 1}
    assert repo.parquet("asset_features").exists(), "Feast reads every view's file, so an empty one is written too"
    again = {**rows, "agent": [_agent("forge", 0), _agent("ledger", 0)]}
    assert OfflineExport(repo).append(again, T0 + timedelta(minutes=5)) == {
        "agent_features": 1, "asset_features": 0, "warehouse_features": 0}
    table = pq.read_table(repo.parquet("agent_features")).to_pylist()
    assert [(r["agent"], r["open_proposals"], r["event_timestamp"]) for r in table] == [
        ("forge", 1, T0), ("ledger", 0, T0), ("forge", 0, T0 + timedelta(minutes=5))]
    assert OfflineExport(repo).known() == {"agent": frozenset({"forge", "ledger"}), "asset": frozenset()}
    assert (repo.parquet("agent_features").stat().st_mode & 0o777) == 0o600


def test_history_is_pruned_but_the_latest_row_of_each_entity_stays(tmp_path) -> None:
    repo = FeatureRepo(tmp_path / "features")
    repo.generate()
    OfflineExport(repo).append({"agent": [_agent("forge", 1), _agent("ledger", 3)]}, T0)
    OfflineExport(repo).append({"agent": [_agent("forge", 2), _agent("ledger", 3)]}, T0 + timedelta(days=1))
    later = T0 + HISTORY + timedelta(days=2)
    OfflineExport(repo).append({"agent": [_agent("forge", 5), _agent("ledger", 3)]}, later)
    table = pq.read_table(repo.parquet("agent_features")).to_pylist()
    assert [(r["agent"], r["open_proposals"]) for r in table] == [("ledger", 3), ("forge", 2), ("forge", 5)], (
        "forge's first row aged out; ledger's only row is old but still its latest")
