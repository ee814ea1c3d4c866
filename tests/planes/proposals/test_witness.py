"""ChronicleWitnessStore: the `chronicle_witness` table inside proposals.sqlite, beside the proposals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fractalops.errors import ProposalError
from fractalops.planes.proposals import ChronicleWitnessStore, ProposalStore, open_witness_store


def _witness(**over: object) -> dict:
    row = {"log": "main", "size": 2, "root": "ab" * 32, "key_id": "cd" * 32, "timestamp": 1_700_000_000_000,
           "signature": "ef" * 64}
    row.update(over)
    return row


def test_record_is_idempotent_and_lists_oldest_first(tmp_path: Path) -> None:
    store = ChronicleWitnessStore.in_data_dir(tmp_path)
    store.record(**_witness(size=5, timestamp=1_700_000_000_500))
    store.record(**_witness())
    store.record(**_witness())
    store.record(**_witness(log="ops", size=9))
    assert store.list("main") == [_witness(), _witness(size=5, timestamp=1_700_000_000_500)]
    assert len(store.list()) == 3
    assert store.newest_size("main", "cd" * 32) == 5
    assert store.newest_size("main", "00" * 32) is None and store.newest_size("nope", "cd" * 32) is None


def test_it_shares_the_proposal_stores_file_and_survives_reopening(tmp_path: Path) -> None:
    proposals = ProposalStore.in_data_dir(tmp_path)
    ChronicleWitnessStore(proposals.path).record(**_witness())
    assert open_witness_store(tmp_path) is open_witness_store(tmp_path)
    assert ChronicleWitnessStore.in_data_dir(tmp_path).list() == [_witness()]
    with sqlite3.connect(proposals.path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"proposals", "schema_version", "chronicle_witness"} <= tables


@pytest.mark.parametrize(("field", "value"), [("size", -1), ("size", True), ("timestamp", "now"), ("root", ""),
                                              ("log", None)])
def test_malformed_witnesses_are_refused(tmp_path: Path, field: str, value: object) -> None:
    store = ChronicleWitnessStore.in_data_dir(tmp_path)
    with pytest.raises(ProposalError, match=f"witness {field}"):
        store.record(**_witness(**{field: value}))
    assert store.list() == []
