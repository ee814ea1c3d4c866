"""The intake's books: counts, seen keys and the quarantine index move together, and survive a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fractalops.errors import TelemetryError
from fractalops.planes.telemetry import TelemetryStore, store_path
from fractalops.planes.telemetry.store import digest


def _quarantine_row(n: int, **extra: object) -> dict:
    return {"id": f"q{n}", "source": "posthog", "project": "shop", "item_key": f"k{n}", "kind": "unknown",
            "name": "checkout_done", "reason": "unknown", "received_at": "2026-01-01T00:00:00.000Z",
            "raw_ref": f"sha256:{n:064x}", "media_type": "application/json", "in_warehouse": 1, **extra}


def test_counts_per_source_summed_over_projects(tmp_path: Path) -> None:
    store = TelemetryStore(store_path(tmp_path))
    with store.batch() as tx:
        tx.bump("posthog", "shop", received=3, stored=2, quarantined=1, duplicates=4)
        tx.bump("posthog", "blog", received=1, stored=1)
        tx.bump("otel_logs", "", refused=1)
    stats = store.stats()
    assert stats["posthog"] == {"received": 4, "stored": 3, "quarantined": 1, "duplicates": 4, "refused": 0}
    assert stats["otel_logs"]["refused"] == 1 and stats["otel_traces"] == dict.fromkeys(stats["otel_traces"], 0)
    assert store.stats(project="blog")["posthog"]["stored"] == 1


def test_seen_keys_survive_a_restart_and_a_rollback_leaves_nothing(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    store = TelemetryStore(path)
    with store.batch() as tx:
        assert tx.seen("posthog", "shop", ["a", "b"]) == set()
        tx.mark_seen("posthog", "shop", ["a", "b"])
        tx.bump("posthog", "shop", received=2, stored=2)
    with pytest.raises(RuntimeError), store.batch() as tx:
        tx.mark_seen("posthog", "shop", ["c"])
        tx.bump("posthog", "shop", received=1, stored=1)
        raise RuntimeError("the warehouse refused the insert")
    again = TelemetryStore(path)
    with again.batch() as tx:
        assert tx.seen("posthog", "shop", ["a", "b", "c"]) == {"a", "b"}
        assert tx.seen("posthog", "blog", ["a"]) == set() and tx.seen("otel_logs", "shop", ["a"]) == set()
    assert again.stats()["posthog"]["received"] == 2


def test_what_another_handle_committed_is_seen(tmp_path: Path) -> None:
    first, second = TelemetryStore(store_path(tmp_path)), TelemetryStore(store_path(tmp_path))
    with first.batch() as tx:
        tx.seen("posthog", "shop", ["x"])
    with second.batch() as tx:
        tx.mark_seen("posthog", "shop", ["x"])
    with first.batch() as tx:
        assert tx.seen("posthog", "shop", ["x"]) == {"x"}


def test_quarantine_pages_release_and_raw_refs(tmp_path: Path) -> None:
    store = TelemetryStore(store_path(tmp_path))
    with store.batch() as tx:
        tx.add_quarantine(_quarantine_row(n) for n in range(5))
        tx.add_quarantine([_quarantine_row(0, reason="again")])  # the same item is one row
    page, cursor = store.quarantine_page(limit=2)
    assert [r.id for r in page] == ["q0", "q1"] and cursor == page[-1].seq
    rest, end = store.quarantine_page(after=cursor, limit=10)
    assert [r.id for r in rest] == ["q2", "q3", "q4"] and end is None
    assert page[0].public() == {"source": "posthog", "reason": "unknown", "received_at": "2026-01-01T00:00:00.000Z",
                                "raw_ref": f"sha256:{0:064x}"}
    assert store.unknown_names() == [("shop", "posthog", "checkout_done", 5)]
    with store.batch() as tx:
        tx.release([("q1", "2026-01-02T00:00:00Z", "e1", "https://fractalops.dev/ontology#Purchase")])
    assert [r.id for r in store.quarantine_page()[0]] == ["q0", "q2", "q3", "q4"]
    released = store.quarantine_page(state="released")[0]
    assert [(r.id, r.event_id) for r in released] == [("q1", "e1")]
    assert store.quarantine_by_ref(f"sha256:{3:064x}").id == "q3" and store.quarantine_by_ref("sha256:none") is None


def test_the_stored_blob_holds_the_keys_of_its_source_and_project(tmp_path: Path) -> None:
    store = TelemetryStore(store_path(tmp_path))
    with store.batch() as tx:
        tx.seen("otel_traces", "shop", ["t1:s1", "t2:s2"])
        tx.mark_seen("otel_traces", "shop", ["t1:s1", "t2:s2", "t3:s3"])
    with store._db.read() as db:
        assert db.execute("SELECT keys, source, project, format FROM seen_batches").fetchall() == [
            (b"t1:s1\nt2:s2\nt3:s3", "otel_traces", "shop", 2)]
    with TelemetryStore(store_path(tmp_path)).batch() as tx:
        assert tx.seen("otel_traces", "shop", ["t1:s1", "t3:s3", "t4:s4"]) == {"t1:s1", "t3:s3"}
        assert tx.seen("otel_traces", "blog", ["t1:s1"]) == set()


def test_a_key_with_a_newline_is_refused_and_nothing_is_marked(tmp_path: Path) -> None:
    store = TelemetryStore(store_path(tmp_path))
    with pytest.raises(TelemetryError, match="newline"), store.batch() as tx:
        tx.mark_seen("posthog", "shop", ["a", "b\nc"])
    with store.batch() as tx:
        assert tx.seen("posthog", "shop", ["a", "b", "c", "b\nc"]) == set()


_V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE counts (
    source TEXT NOT NULL, project TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0, stored INTEGER NOT NULL DEFAULT 0, quarantined INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, project)
) WITHOUT ROWID;
CREATE TABLE seen_batches (id INTEGER PRIMARY KEY, keys BLOB NOT NULL);
INSERT INTO schema_version VALUES (1);
"""
"""The books as schema v1 wrote them (frozen: keys kept as 16-byte digests)."""


def test_books_of_schema_v1_are_migrated_and_their_digests_still_dedupe(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.executescript(_V1_SCHEMA)
        db.execute("INSERT INTO seen_batches (keys) VALUES (?)",
                   (digest("posthog", "shop", "u1") + digest("posthog", "shop", "u2"),))
    store = TelemetryStore(path)
    with store.batch() as tx:
        assert tx.seen("posthog", "shop", ["u1", "u2", "u3"]) == {"u1", "u2"}
        assert tx.seen("posthog", "blog", ["u1"]) == set()
        tx.mark_seen("posthog", "shop", ["u3"])
    with TelemetryStore(path).batch() as tx:
        assert tx.seen("posthog", "shop", ["u1", "u3", "u4"]) == {"u1", "u3"}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT MAX(version) FROM schema_version").fetchone() == (2,)
