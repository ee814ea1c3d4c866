"""verify_against_witnesses(): each check on hand-built logs, witnesses and refs (the real-ledger suite is
test_evidence_rollback.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fractalops.errors import EvidenceError
from fractalops.planes.evidence import (
    CHECKS,
    CheckpointWitness,
    ChronicleLog,
    EvidencedRef,
    key_id,
    open_chronicle,
    verify_against_witnesses,
)


def _witnessed(log: ChronicleLog, entries: list[dict], every: int = 1) -> list[CheckpointWitness]:
    """Append `entries`, signing (and witnessing) after every `every` of them."""
    witnesses = []
    for start in range(0, len(entries), every):
        log.append_many(entries[start:start + every])
        witnesses.append(CheckpointWitness.of(log.checkpoint(), log.public_key(), "test store"))
    return witnesses


def _check(document: dict, name: str) -> dict:
    return next(c for c in document["checks"] if c["name"] == name)


def test_a_fresh_data_dir_with_nothing_witnessed_is_ok(data_dir: Path) -> None:
    with ChronicleLog(data_dir / "chronicle", readonly=True) as log:
        document = verify_against_witnesses(log, [], [])
    assert document["ok"] is True and document["size"] == 0 and document["key_id"] is None
    assert [c["name"] for c in document["checks"]] == list(CHECKS)
    assert "nothing was witnessed or evidenced yet" in _check(document, "log_present")["detail"]
    assert not (data_dir / "chronicle").exists(), "verification creates nothing"


def test_witness_records_round_trip_and_are_parsed_strictly(log: ChronicleLog) -> None:
    (witness,) = _witnessed(log, [{"i": 0}])
    assert witness.key_id == key_id(log.public_key()) and len(witness.key_id) == 64
    assert CheckpointWitness.from_record(witness.record(), "test store") == witness
    for field, value in (("size", True), ("size", -1), ("root", witness.root.upper()), ("signature", "ab"),
                         ("log", "Main"), ("timestamp", "1")):
        with pytest.raises(EvidenceError, match="malformed Chronicle witness in somewhere"):
            CheckpointWitness.from_record({**witness.record(), field: value}, "somewhere")
    with pytest.raises(EvidenceError, match="somewhere"):
        CheckpointWitness.from_record({"log": "main"}, "somewhere")


def test_witnesses_of_another_log_are_not_this_logs(log: ChronicleLog) -> None:
    witnesses = _witnessed(log, [{"i": i} for i in range(3)])
    other = [replace(w, log="ops", size=w.size + 10) for w in witnesses]
    document = verify_against_witnesses(log, [*witnesses, *other], [])
    assert document["ok"] is True and document["witnesses"] == 3 and document["witnessed_size"] == 3


def test_a_rewritten_middle_names_the_newest_witness_that_still_matches(data_dir: Path, log: ChronicleLog) -> None:
    entries = [{"i": i} for i in range(6)]
    witnesses = _witnessed(log, entries, every=2)  # sizes 2, 4, 6
    log.close()
    for name in ("entries.log", "checkpoints.log"):
        (data_dir / "chronicle" / "logs" / "main" / name).unlink()
    with open_chronicle(data_dir) as forged:  # same key, same sizes, entry 3 changed, every checkpoint re-signed
        _witnessed(forged, [*entries[:3], {"i": 3, "forged": True}, *entries[4:]], every=2)
        assert forged.verify().ok
        document = verify_against_witnesses(forged, witnesses, [])
    assert document["failed"] == ["witnessed_root"] and document["first_bad"] == 2
    assert document["reason"].startswith("witnessed_root: the log's root at size 4 is ")


def test_a_witness_with_a_forged_signature_fails_the_key_check(log: ChronicleLog) -> None:
    (witness,) = _witnessed(log, [{"i": 0}])
    forged = replace(witness, signature="0" * 128)
    document = verify_against_witnesses(log, [witness, forged], [])
    assert document["failed"] == ["signing_key"] and "does not verify" in document["reason"]


def test_evidenced_refs_must_resolve_to_their_own_proposal(log: ChronicleLog) -> None:
    ref = log.append({"type": "proposal_applied", "proposal_id": "prop_a"})
    log.checkpoint()
    good = EvidencedRef("prop_a", ref.uri)
    assert verify_against_witnesses(log, [], [good])["ok"] is True
    cases = {
        "no ref": (EvidencedRef("prop_b", ""), "records no Chronicle ref", None),
        "other proposal": (EvidencedRef("prop_c", ref.uri), "holds an entry about 'prop_a'", 0),
        "wrong hash": (EvidencedRef("prop_a", ref.uri[:-4] + "0000"), "does not match entry 0", 0),
        "malformed": (EvidencedRef("prop_d", "chronicle://main/x"), "malformed evidence ref", None),
    }
    for case, (item, words, first_bad) in cases.items():
        document = verify_against_witnesses(log, [], [good, item])
        assert document["failed"] == ["evidenced_refs"], case
        assert words in document["reason"] and document["first_bad"] == first_bad, (case, document["reason"])


def test_unreadable_witness_stores_fail_their_own_check(log: ChronicleLog) -> None:
    witnesses = _witnessed(log, [{"i": 0}])
    document = verify_against_witnesses(log, witnesses, [], bad_witnesses=["warehouse (x): query failed"])
    assert document["failed"] == ["witness_records"] and "warehouse (x): query failed" in document["reason"]
