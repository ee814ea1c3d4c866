"""ChronicleLog: append, refs, lookups, proofs, checkpoints, durability and concurrency."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from fractalops.errors import EvidenceError
from fractalops.planes.evidence import (
    EMPTY_ROOT,
    ChronicleLog,
    EvidenceRef,
    MerkleTree,
    leaf_hash,
    open_chronicle,
    verify_consistency,
    verify_inclusion,
)


def test_append_returns_refs_pinned_to_canonical_json(log: ChronicleLog) -> None:
    ref = log.append({"b": 1, "a": "é"})
    canonical = '{"a":"é","b":1}'.encode()
    assert ref == EvidenceRef("main", 0, leaf_hash(canonical).hex())
    assert ref.uri == f"chronicle://main/0#sha256:{leaf_hash(canonical).hex()}"
    assert log.entry(0) == {"a": "é", "b": 1}
    assert log.lookup(ref.uri) == {"a": "é", "b": 1}
    line = (log.root / "logs" / "main" / "entries.log").read_bytes()
    assert line == leaf_hash(canonical).hex().encode() + b" " + canonical + b"\n"


def test_root_and_proofs_match_an_independent_tree(log: ChronicleLog) -> None:
    entries = [{"i": i, "kind": "proof"} for i in range(37)]
    refs = log.append_many(entries)
    assert [r.index for r in refs] == list(range(37))
    tree = MerkleTree(bytes.fromhex(r.leaf_hash) for r in refs)
    assert log.size == 37
    assert log.root_hash() == tree.root()
    for size in (1, 5, 16, 37):
        assert log.root_hash(size) == tree.root(size)
        for index in range(size):
            proof = log.inclusion_proof(index, size)
            assert verify_inclusion(log.leaf_hash(index), index, size, proof, log.root_hash(size))
    assert verify_consistency(10, 37, log.root_hash(10), log.root_hash(37), log.consistency_proof(10, 37))


def test_append_many_is_one_write_and_one_fsync(log: ChronicleLog, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd))[1])
    log.append_many([{"i": i} for i in range(500)])
    assert len(calls) == 1
    assert log.size == 500


def test_reopen_and_reader_see_the_same_log(data_dir: Path, log: ChronicleLog) -> None:
    log.append_many([{"i": i} for i in range(20)])
    reader = open_chronicle(data_dir, readonly=True)
    assert reader.size == 20 and reader.root_hash() == log.root_hash()
    log.append({"i": 20})
    assert reader.size == 21 and reader.entry(20) == {"i": 20}
    with pytest.raises(EvidenceError, match="read-only"):
        reader.append({"x": 1})
    with pytest.raises(EvidenceError, match="read-only"):
        reader.checkpoint()
    reopened = open_chronicle(data_dir)
    assert reopened.size == 21 and reopened.root_hash() == log.root_hash()
    assert reopened.append({"i": 21}).index == 21


def test_reader_of_a_missing_chronicle_is_empty(tmp_path: Path) -> None:
    reader = ChronicleLog(tmp_path / "nothing" / "chronicle", readonly=True)
    assert reader.size == 0
    assert reader.root_hash() == EMPTY_ROOT
    assert not (tmp_path / "nothing").exists()
    assert reader.verify().ok


@pytest.mark.parametrize(
    "bad", [["not", "an", "object"], {"x": float("nan")}, {"x": float("inf")}, {"x": object()}, {"x": "\ud800"}]
)
def test_non_canonical_entries_are_refused(log: ChronicleLog, bad: object) -> None:
    with pytest.raises(EvidenceError):
        log.append(bad)  # type: ignore[arg-type]
    assert log.size == 0


def test_lookup_checks_log_index_and_hash(log: ChronicleLog) -> None:
    ref = log.append({"a": 1})
    log.append({"a": 2})
    assert log.lookup(ref) == {"a": 1}
    wrong_hash = EvidenceRef("main", 1, ref.leaf_hash)
    with pytest.raises(EvidenceError, match="does not match entry 1"):
        log.lookup(wrong_hash.uri)
    with pytest.raises(EvidenceError, match="not 'main'"):
        log.lookup(EvidenceRef("other", 0, ref.leaf_hash).uri)
    with pytest.raises(EvidenceError, match="past the end"):
        log.lookup(EvidenceRef("main", 9, ref.leaf_hash).uri)
    with pytest.raises(EvidenceError, match="malformed evidence ref"):
        log.lookup("chronicle://main/0")


def test_checkpoints_are_signed_monotonic_and_consistent(log: ChronicleLog) -> None:
    assert log.latest_checkpoint() is None
    empty = log.checkpoint()
    assert empty.size == 0 and empty.root == EMPTY_ROOT.hex()
    log.append_many([{"i": i} for i in range(7)])
    first = log.checkpoint()
    log.append_many([{"i": i} for i in range(7, 19)])
    second = log.checkpoint()
    assert log.latest_checkpoint() == second
    assert [c.size for c in log.checkpoints()] == [0, 7, 19]
    public = log.public_key()
    assert first.verify(public) and second.verify(public)
    assert second.timestamp >= first.timestamp
    forged = type(first)(first.log, first.size + 1, first.root, first.timestamp, first.signature)
    assert not forged.verify(public)
    proof = log.consistency_proof(first.size, second.size)
    assert verify_consistency(first.size, second.size, bytes.fromhex(first.root), bytes.fromhex(second.root), proof)
    key = log.root / "keys" / "ed25519.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert log.verify().ok


def test_writer_refuses_to_extend_a_corrupt_log(data_dir: Path, log: ChronicleLog) -> None:
    log.append_many([{"i": i} for i in range(3)])
    path = log.root / "logs" / "main" / "entries.log"
    data = bytearray(path.read_bytes())
    data[70] ^= 0x01
    path.write_bytes(bytes(data))
    fresh = open_chronicle(data_dir)
    with pytest.raises(EvidenceError, match="corrupt"):
        fresh.append({"i": 3})
    with pytest.raises(EvidenceError, match="corrupt"):
        fresh.checkpoint()
    assert path.read_bytes() == bytes(data)


def test_entry_changed_after_load_is_detected(log: ChronicleLog) -> None:
    log.append({"v": "aaaa"})
    path = log.root / "logs" / "main" / "entries.log"
    path.write_bytes(path.read_bytes().replace(b"aaaa", b"aaab"))
    with pytest.raises(EvidenceError, match="changed on disk"):
        log.entry(0)


def _append_worker(data_dir: str, worker: int, batches: int) -> None:
    log = open_chronicle(Path(data_dir))
    for batch in range(batches):
        log.append_many([{"worker": worker, "batch": batch, "n": n} for n in range(25)])
    log.close()


def test_two_processes_appending_never_corrupt_the_log(data_dir: Path, log: ChronicleLog) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_worker, args=(str(data_dir), w, 20)) for w in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    assert log.size == 2 * 20 * 25
    result = log.verify()
    assert result.ok, result.reason
    seen = {(e["worker"], e["batch"], e["n"]) for e in (log.entry(i) for i in range(log.size))}
    assert len(seen) == 1000
    # each batch is contiguous: batches from two writers never interleave
    lines = (log.root / "logs" / "main" / "entries.log").read_bytes().splitlines()
    batch_ids = [tuple(json.loads(line[65:])[k] for k in ("worker", "batch")) for line in lines]
    assert all(batch_ids[i] == batch_ids[i - i % 25] for i in range(len(batch_ids)))


def test_threads_sharing_one_log_and_a_concurrent_verifier(data_dir: Path, log: ChronicleLog) -> None:
    import threading

    done = threading.Event()
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for batch in range(60):
                log.append_many([{"w": worker, "b": batch, "n": n} for n in range(10)])
                if batch % 20 == 0:
                    log.checkpoint()
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    watcher = threading.Thread(target=lambda: ([t.join() for t in threads], done.set()))
    watcher.start()
    reader = open_chronicle(data_dir, readonly=True)
    verified = 0
    while not done.is_set():
        result = reader.verify()  # takes a shared lock: never sees a half-written batch
        assert result.ok, result.reason
        verified += 1
    watcher.join()
    assert errors == []
    assert log.size == reader.size == 1200
    assert log.verify().ok and verified >= 1
    assert [log.entry(i) for i in range(0, 1200, 10)] == [reader.entry(i) for i in range(0, 1200, 10)]


def test_reopen_loads_a_clean_log_in_bulk_and_stops_at_the_first_bad_line(data_dir: Path, log: ChronicleLog) -> None:
    refs = log.append_many([{"i": i, "note": "entrée ✓"} for i in range(300)])
    reopened = open_chronicle(data_dir, readonly=True)
    assert reopened.size == 300 and reopened.root_hash() == log.root_hash()
    assert [reopened.ref(i) for i in (0, 151, 299)] == [refs[0], refs[151], refs[299]]
    assert reopened.entry(299) == {"i": 299, "note": "entrée ✓"}
    path = log.root / "logs" / "main" / "entries.log"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[200] = lines[200].replace(b'"i":200', b'"i":201')
    path.write_bytes(b"".join(lines))
    partial = open_chronicle(data_dir, readonly=True)
    assert partial.size == 200 and partial.root_hash() == log.root_hash(200)
    with pytest.raises(EvidenceError, match="entry 200 does not match"):
        open_chronicle(data_dir).append({"i": 300})


def test_append_many_returns_a_sequence_of_refs(log: ChronicleLog) -> None:
    log.append({"before": True})
    refs = log.append_many([{"i": i} for i in range(5)])
    assert len(refs) == 5 and refs.first == 1 and refs.log == "main"
    assert refs[0] == log.ref(1) and refs[-1] == log.ref(5) and refs[4].index == 5
    assert refs[1:3] == [log.ref(2), log.ref(3)] and refs[::-2] == [log.ref(5), log.ref(3), log.ref(1)]
    assert refs == [log.ref(i) for i in range(1, 6)] and list(reversed(refs))[0] == log.ref(5)
    assert log.ref(3) in refs and refs.index(log.ref(3)) == 2 and log.ref(0) not in refs
    assert [log.lookup(r.uri) for r in refs] == [{"i": i} for i in range(5)]
    for bad in (5, -6):
        with pytest.raises(IndexError, match="outside a batch of 5"):
            refs[bad]
    empty = log.append_many([])
    assert len(empty) == 0 and empty == [] and list(empty) == [] and empty.first == log.size
    assert refs != empty and refs != "chronicle://main/1" and "count=5" in repr(refs)
