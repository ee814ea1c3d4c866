"""The intake's books: counts, seen keys and the quarantine index move together, and survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.planes.telemetry import TelemetryStore, store_path


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
