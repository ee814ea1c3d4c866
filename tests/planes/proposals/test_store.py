"""Schema migration of the proposal store: a v1 file (frozen fixture) is brought to the current version in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fractalops.errors import ProposalError
from fractalops.planes.proposals import Proposal, ProposalStatus, ProposalStore
from fractalops.planes.proposals.store import SCHEMA_VERSION

V1_STORE = Path(__file__).parents[2] / "fixtures" / "proposals" / "v1_store.sql"
LEGACY_THREAD = "01a2134a-0000-7000-8000-000000000002"


@pytest.fixture
def v1_file(tmp_path) -> Path:
    path = tmp_path / "proposals.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(V1_STORE.read_text())
    return path


def _raw(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(query).fetchall()


def test_a_v1_file_is_migrated_in_place(v1_file):
    assert _raw(v1_file, "SELECT version FROM schema_version") == [(1,)]
    store = ProposalStore(v1_file)
    assert SCHEMA_VERSION == 3 and _raw(v1_file, "SELECT version FROM schema_version") == [(3,)]
    evidenced, in_review = store.get("prop_fixture_r1_1"), store.get("prop_01a2134a0000_r2_1")
    assert evidenced.status == ProposalStatus.EVIDENCED and evidenced.approvers_for_current_hash() == ["alice"]
    assert (in_review.requester, in_review.principal, in_review.editors) == ("ci-bot", "ci-bot", [])
    # v1 forge ids name their run and position: the key forge passes now, so an interrupted step still replays
    assert in_review.idempotency_key == "2:1" and evidenced.idempotency_key == ""
    assert _raw(v1_file, "SELECT id, idempotency_key FROM proposals ORDER BY id") == [
        ("prop_01a2134a0000_r2_1", "2:1"), ("prop_fixture_r1_1", None)]
    stored = [Proposal.model_validate_json(r[0]) for r in _raw(v1_file, "SELECT record FROM proposals ORDER BY id")]
    assert all('"requester"' in r.model_dump_json() for r in stored)
    assert '"requester":"ci-bot"' in _raw(v1_file, "SELECT record FROM proposals WHERE id = 'prop_01a2134a0000_r2_1'")[0][0]


def test_after_migration_a_replay_finds_its_legacy_proposal_and_other_threads_do_not(v1_file):
    store = ProposalStore(v1_file)

    def create(thread: str):
        return store.create(thread_id=thread, author_agent="forge", requester="ci-bot", kind="workspace_patch",
                            target="/srv/repo", payload={"diff": "x", "base_commit": "c", "files": ["x"]},
                            idempotency_key="2:1")

    assert create(LEGACY_THREAD).id == "prop_01a2134a0000_r2_1"
    assert create("another-thread").id.startswith("prop_") and len(store.list()) == 3


def test_migration_runs_once_and_reopening_is_a_no_op(v1_file):
    ProposalStore(v1_file)
    before = _raw(v1_file, "SELECT id, record, idempotency_key FROM proposals ORDER BY id")
    ProposalStore(v1_file)
    assert _raw(v1_file, "SELECT id, record, idempotency_key FROM proposals ORDER BY id") == before
    assert _raw(v1_file, "SELECT version FROM schema_version") == [(3,)]


def test_a_file_from_a_newer_fractalops_is_refused(tmp_path):
    path = tmp_path / "proposals.sqlite"
    ProposalStore(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(ProposalError, match="schema v99, newer than this fractalops"):
        ProposalStore(path)


def test_the_key_is_unique_per_thread_in_the_schema_itself(tmp_path):
    path = tmp_path / "proposals.sqlite"
    store = ProposalStore(path)
    store.create(thread_id="t", author_agent="forge", requester="", kind="k", target="/r", payload={},
                 idempotency_key="1:1")
    with sqlite3.connect(path) as db, pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO proposals VALUES ('prop_x', 't', '/r', 'proposed', '{}', 'now', 'now', '1:1')")


def test_withdraw_ends_only_a_proposal_no_one_has_reviewed(tmp_path):
    store = ProposalStore(tmp_path / "proposals.sqlite")

    def made(n: int) -> Proposal:
        return store.create(thread_id="t1", author_agent="forge", requester="alice", kind="tool_call",
                            target="mcp://memory.mcp", payload={"asset_id": "memory.mcp", "tool": "t", "arguments": {"n": n}})

    fresh, reviewed = made(1), made(2)
    store.transition(reviewed.id, ProposalStatus.IN_REVIEW)
    withdrawn = store.withdraw(fresh.id, "the run stopped")
    assert (withdrawn.status, withdrawn.feedback) == (ProposalStatus.REJECTED, "withdrawn: the run stopped")
    assert store.get(fresh.id) == withdrawn
    assert store.withdraw(reviewed.id, "the run stopped").status == ProposalStatus.IN_REVIEW, "a reviewer owns it now"
    assert store.get(reviewed.id).feedback == ""
    with pytest.raises(ProposalError, match="unknown proposal"):
        store.withdraw("prop_missing", "x")


def test_applied_and_visible_are_one_write_and_both_steps_are_checked(tmp_path, monkeypatch):
    from fractalops.planes.proposals import ExecutionRecord, utcnow

    store = ProposalStore(tmp_path / "proposals.sqlite")
    p = store.create(thread_id="t1", author_agent="forge", requester="alice", kind="tool_call",
                     target="mcp://memory.mcp", payload={"asset_id": "memory.mcp", "tool": "t", "arguments": {}})
    record = ExecutionRecord(commit="c" * 40, applied_hash=p.content_hash, at=utcnow())
    with pytest.raises(ProposalError, match="proposed"):
        store.mark_applied(p.id, record, visible=True)  # not published: refused, nothing written
    assert store.get(p.id).status == ProposalStatus.PROPOSED
    for status in (ProposalStatus.IN_REVIEW, ProposalStatus.APPROVED, ProposalStatus.PUBLISHED):
        store.transition(p.id, status)
    writes = []
    tx = store._tx
    monkeypatch.setattr(store, "_tx", lambda: (writes.append(1), tx())[1])
    done = store.mark_applied(p.id, record, visible=True)
    assert (done.status, done.executed.commit, len(writes)) == (ProposalStatus.VISIBLE, "c" * 40, 1)
    assert store.get(p.id) == done
