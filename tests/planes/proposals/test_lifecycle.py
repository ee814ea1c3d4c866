"""Proposal lifecycle: legal edges only, durable records, proposed/approved/executed kept apart."""

from __future__ import annotations

import pytest

from fractalops.errors import IllegalTransitionError, ProposalError
from fractalops.planes.proposals import (
    ApprovalClass,
    ApprovalRecord,
    ExecutionRecord,
    ProposalStatus,
    ProposalStore,
    check_transition,
    content_hash,
)

S = ProposalStatus
HAPPY = [S.IN_REVIEW, S.APPROVED, S.PUBLISHED, S.APPLIED, S.VISIBLE, S.EVIDENCED]


@pytest.fixture
def store(tmp_path):
    return ProposalStore(tmp_path / "proposals.sqlite")


def _new(store, pid="prop_1"):
    return store.create(thread_id="t1", author_agent="forge", requester="alice", kind="workspace_patch",
                        target="/repo", payload={"diff": "d", "base_commit": "c", "files": ["a"]}, proposal_id=pid)


def test_happy_path_and_records(store):
    p = _new(store)
    assert p.status == S.PROPOSED and p.content_hash == content_hash("workspace_patch", "/repo", p.payload)
    for status in HAPPY:
        p = store.transition(p.id, status)
    assert store.get(p.id).status == S.EVIDENCED
    assert store.get(p.id).proposed["content_hash"] == p.content_hash


@pytest.mark.parametrize("start,bad", [(S.PROPOSED, S.APPLIED), (S.IN_REVIEW, S.PUBLISHED), (S.REJECTED, S.APPROVED),
                                       (S.APPLIED, S.APPROVED), (S.EVIDENCED, S.VISIBLE)])
def test_illegal_transitions_raise(start, bad):
    with pytest.raises(IllegalTransitionError, match=f"{start} -> {bad}"):
        check_transition("p", start, bad)


def test_illegal_transition_leaves_record_unchanged(store):
    p = _new(store)
    with pytest.raises(IllegalTransitionError):
        store.transition(p.id, S.APPLIED)
    assert store.get(p.id).status == S.PROPOSED


def test_create_refuses_a_taken_id(store):
    first = _new(store)
    with pytest.raises(ProposalError, match="'prop_1' is already taken"):
        _new(store)
    assert store.list(thread_id="t1") == [first]


def test_edit_changes_hash_and_voids_earlier_approvals(store):
    p = store.transition(_new(store).id, S.IN_REVIEW)
    store.add_decision(p.id, ApprovalRecord(decision="approve", identity="bob", content_hash=p.content_hash, at="t"), to=None)
    assert store.get(p.id).approvers_for_current_hash() == ["bob"]
    edited = store.edit(p.id, {**p.payload, "diff": "d2"}, ApprovalRecord(decision="edit", identity="alice",
                                                                            content_hash=p.content_hash, at="t"),
                        approval_class=ApprovalClass.ELEVATED)
    assert edited.content_hash != p.content_hash and edited.approvers_for_current_hash() == []
    assert edited.proposed["content_hash"] == p.content_hash
    assert edited.editors == ["alice"] and edited.approval_class == ApprovalClass.ELEVATED


def test_an_edit_never_lowers_the_class_and_lists_each_editor_once(store):
    p = store.transition(_new(store).id, S.IN_REVIEW)
    p = store.set_approval_class(p.id, ApprovalClass.ELEVATED)

    def edit(identity, diff, cls):
        current = store.get(p.id)
        return store.edit(p.id, {**current.payload, "diff": diff},
                          ApprovalRecord(decision="edit", identity=identity, content_hash=current.content_hash, at="t"),
                          approval_class=cls)

    with pytest.raises(ProposalError, match="never lower it to standard"):
        edit("bob", "d2", ApprovalClass.STANDARD)
    assert store.get(p.id).content_hash == p.content_hash and store.get(p.id).editors == []
    edit("bob", "d2", ApprovalClass.ELEVATED)
    edit("carol", "d3", ApprovalClass.RESTRICTED)
    assert edit("bob", "d4", ApprovalClass.RESTRICTED).editors == ["bob", "carol"]


def test_a_decision_on_an_old_hash_is_refused_inside_the_transaction(store):
    p = store.transition(_new(store).id, S.IN_REVIEW)
    store.edit(p.id, {**p.payload, "diff": "d2"}, ApprovalRecord(decision="edit", identity="bob",
                                                                 content_hash=p.content_hash, at="t"),
               approval_class=ApprovalClass.STANDARD)
    late = ApprovalRecord(decision="approve", identity="carol", content_hash=p.content_hash, at="t")
    with pytest.raises(ProposalError, match="arrived after it changed"):
        store.add_decision(p.id, late, to=S.APPROVED)
    assert store.get(p.id).status == S.IN_REVIEW and [a.identity for a in store.get(p.id).approvals] == ["bob"]


def test_rebase_goes_back_to_review_or_rejects(store):
    p = store.transition(store.transition(store.transition(_new(store).id, S.IN_REVIEW).id, S.APPROVED).id, S.PUBLISHED)
    rebased = store.rebase(p.id, {**p.payload, "base_commit": "c2"}, "moved")
    assert rebased.status == S.IN_REVIEW and rebased.content_hash != p.content_hash and rebased.feedback == "moved"
    q = store.transition(store.transition(store.transition(_new(store, "prop_2").id, S.IN_REVIEW).id, S.APPROVED).id,
                         S.PUBLISHED)
    assert store.rebase(q.id, None, "moved").status == S.REJECTED


def test_execution_record_and_unknown_id(store):
    p = store.transition(store.transition(store.transition(_new(store).id, S.IN_REVIEW).id, S.APPROVED).id, S.PUBLISHED)
    applied = store.mark_applied(p.id, ExecutionRecord(commit="abc", applied_hash=p.content_hash, at="t"))
    assert applied.status == S.APPLIED and applied.executed.commit == "abc"
    with pytest.raises(ProposalError, match="unknown proposal 'nope'"):
        store.get("nope")
