"""Proposal ids are their own (UUIDv7), unique by construction; a thread's replay gets its own record, no one else's."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from fractalops.errors import ProposalError
from fractalops.planes.proposals import ProposalStore, ids
from fractalops.planes.proposals.ids import PROPOSAL_ID_PATTERN, new_proposal_id, uuid7

PAYLOAD = {"diff": "d", "base_commit": "c", "files": ["a"]}


def _ms(proposal_id: str) -> int:
    return uuid.UUID(proposal_id.removeprefix("prop_")).int >> 80


def test_ids_from_a_tight_loop_are_unique_uuid7_and_time_ordered():
    before = time.time_ns() // 1_000_000
    made = [new_proposal_id() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    assert len(set(made)) == 1000
    assert made == sorted(made), "strictly increasing in creation order"
    assert all(PROPOSAL_ID_PATTERN.match(i) for i in made)
    parsed = [uuid.UUID(i.removeprefix("prop_")) for i in made]
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert before <= _ms(made[0]) <= _ms(made[-1]) <= after + 1  # +1: a counter overflow may step one ms ahead


def test_ids_from_16_threads_are_unique_and_ordered_within_each_thread():
    start = threading.Barrier(16)
    made: dict[int, list[str]] = {}

    def worker(n: int) -> None:
        start.wait()
        made[n] = [new_proposal_id() for _ in range(1000)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for n in range(16) for i in made[n]]
    assert len(everything) == len(set(everything)) == 16_000
    assert all(made[n] == sorted(made[n]) for n in range(16))


def test_a_clock_stepping_back_or_a_full_counter_never_breaks_the_order(monkeypatch):
    clock = iter([5_000_000_000_000, 4_000_000_000_000, 4_000_000_000_000])
    monkeypatch.setattr(ids.time, "time_ns", lambda: next(clock))
    monkeypatch.setattr(ids, "_last_ms", -1)
    monkeypatch.setattr(ids, "_counter", 0)  # both restored afterwards, so later ids keep their order
    seeds = iter([ids._COUNTER_MAX, 0])  # the second id would overflow the first millisecond's counter
    monkeypatch.setattr(ids, "_seed", lambda: next(seeds))
    first, second, third = uuid7(), uuid7(), uuid7()
    assert first < second < third
    assert [u.int >> 80 for u in (first, second, third)] == [5_000_000, 5_000_001, 5_000_001]
    assert [(u.int >> 32) & ((1 << 30) - 1) for u in (second, third)] == [0, 1], "counting on within the millisecond"


@pytest.fixture
def store(tmp_path):
    return ProposalStore(tmp_path / "proposals.sqlite")


def _create(store, thread="t1", key=None, pid=None, payload=PAYLOAD):
    return store.create(thread_id=thread, author_agent="forge", requester="alice", kind="workspace_patch",
                        target="/repo", payload=payload, idempotency_key=key, proposal_id=pid)


def test_the_store_refuses_a_duplicate_id_instead_of_returning_the_existing_record(store):
    first = _create(store, thread="t1", pid="prop_" + "a" * 32)
    with pytest.raises(ProposalError, match="already taken"):
        _create(store, thread="t2", pid=first.id)
    assert [p.thread_id for p in store.list()] == ["t1"]


def test_an_idempotency_key_replay_returns_its_own_record_and_no_other_threads(store):
    first = _create(store, thread="t1", key="1:1")
    replay = _create(store, thread="t1", key="1:1", payload={**PAYLOAD, "diff": "rebuilt differently"})
    assert replay == first, "a replay of the same step gets its own earlier record back"
    other = _create(store, thread="t2", key="1:1")
    assert other.id != first.id and other.thread_id == "t2"
    assert _create(store, thread="t1", key="1:2").id not in {first.id, other.id}
    assert len({_create(store, thread="t1").id for _ in range(3)}) == 3, "no key: always a new proposal"
    assert [p.idempotency_key for p in store.list(thread_id="t1")] == ["1:1", "1:2", "", "", ""]


def test_concurrent_creates_from_many_threads_never_share_a_proposal(store):
    start = threading.Barrier(16)
    made: dict[int, list[str]] = {}

    def worker(n: int) -> None:
        start.wait()
        made[n] = [_create(store, thread=f"t{n}", key="1:1").id for _ in range(5)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(set(made[n])) == 1 for n in range(16)), "each thread's replays got its own one record"
    assert len({made[n][0] for n in range(16)}) == 16, "and no two threads share one"
    assert {p.thread_id for p in store.list()} == {f"t{n}" for n in range(16)} and len(store.list()) == 16
