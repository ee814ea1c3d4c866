"""Offline proof bundles: export, verify, and every tampering rejected."""

from __future__ import annotations

import copy
import json

import pytest

from fractalops.errors import EvidenceError
from fractalops.planes.evidence import ChronicleLog, open_chronicle, verify_entry_bundle


def test_export_bundle_verifies_offline_as_plain_json(log: ChronicleLog) -> None:
    log.append_many([{"i": i} for i in range(13)])
    bundle = log.export_bundle(5)  # signs a checkpoint because none covers entry 5 yet
    assert bundle["size"] == 13 and bundle["entry"] == {"i": 5}
    assert log.latest_checkpoint() is not None and log.latest_checkpoint().size == 13
    wire = json.loads(json.dumps(bundle))
    assert verify_entry_bundle(wire)
    assert verify_entry_bundle(wire, public_key=log.public_key())
    assert verify_entry_bundle(wire, public_key=log.public_key().hex())
    log.append({"i": 13})
    assert log.export_bundle(12)["size"] == 13  # reuses the covering checkpoint
    assert log.export_bundle(13)["size"] == 14


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b["entry"].update(i=6),
        lambda b: b.update(index=4),
        lambda b: b.update(size=12),
        lambda b: b["audit_path"].pop(),
        lambda b: b["audit_path"].reverse(),
        lambda b: b.update(root="00" * 32),
        lambda b: b.update(leaf_hash="00" * 32),
        lambda b: b["checkpoint"].update(timestamp=b["checkpoint"]["timestamp"] + 1),
        lambda b: b["checkpoint"].update(log="other"),
        lambda b: b.update(public_key="11" * 32),
        lambda b: b.update(format="v0"),
        lambda b: b.pop("checkpoint"),
        lambda b: b.update(index="5"),
        lambda b: b.update(audit_path="nope"),
    ],
)
def test_tampered_bundles_are_rejected(log: ChronicleLog, mutate) -> None:  # type: ignore[no-untyped-def]
    log.append_many([{"i": i} for i in range(13)])
    bundle = log.export_bundle(5)
    bad = copy.deepcopy(bundle)
    mutate(bad)
    assert verify_entry_bundle(bundle)
    assert not verify_entry_bundle(bad)


def test_pinned_key_must_match(log: ChronicleLog) -> None:
    log.append({"x": 1})
    assert not verify_entry_bundle(log.export_bundle(0), public_key=b"\x01" * 32)
    assert not verify_entry_bundle("not a bundle")  # type: ignore[arg-type]


def test_reader_without_covering_checkpoint_cannot_export(data_dir, log: ChronicleLog) -> None:  # type: ignore[no-untyped-def]
    log.append({"x": 1})
    with pytest.raises(EvidenceError, match="no checkpoint"):
        open_chronicle(data_dir, readonly=True).export_bundle(0)
