"""The frozen v1 Chronicle still verifies, bit for bit: a format change shows up here as a migration."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fractalops.planes.evidence import ChronicleLog, EvidenceRef, verify_entry_bundle

V1 = Path(__file__).resolve().parents[2] / "fixtures" / "evidence" / "v1"
ROOT_V1 = "2c1bbe1b298095fa5607c73aac44b92171d6913e9ffbe6455707f16d2b02644b"
PUBLIC_KEY_V1 = "0915d3e59c71682792596447a0f30cbd21894c030e2e5718b1f4bb1388a138b4"
REF_2 = "chronicle://main/2#sha256:a83eca4cd5640b122222339f6f85c640b7886562e3c26f37b4a86a9db891cbe8"
ARTIFACT = "sha256:8696e6269ee85f874f52ba683ae4e403c8993454bc775d5b582b6d05f7c792f5"


@pytest.fixture
def v1(tmp_path: Path) -> ChronicleLog:
    copy = tmp_path / "chronicle"
    shutil.copytree(V1 / "chronicle", copy)
    return ChronicleLog(copy, readonly=True)


def test_v1_verifies_with_its_frozen_root(v1: ChronicleLog) -> None:
    result = v1.verify()
    assert result.ok, result.reason
    assert result.size == 5
    assert v1.root_hash().hex() == ROOT_V1
    assert [(c.size, c.root == ROOT_V1) for c in v1.checkpoints()] == [(3, False), (5, True)]
    assert v1.public_key().hex() == PUBLIC_KEY_V1
    assert all(c.verify(bytes.fromhex(PUBLIC_KEY_V1)) for c in v1.checkpoints())


def test_v1_lookups_and_artifact(v1: ChronicleLog) -> None:
    entry = v1.lookup(REF_2)
    assert entry == {"artifact": ARTIFACT, "kind": "screenshot", "media_type": "image/png"}
    assert v1.lookup(v1.ref(1))["note"] == "entrée ✓"
    assert EvidenceRef.parse(REF_2) == v1.ref(2)
    assert v1.artifacts.get(ARTIFACT).startswith(b"\x89PNG")
    assert v1.artifacts.stat(ARTIFACT).media_type == "image/png"


def test_v1_bundle_verifies_offline() -> None:
    bundle = json.loads((V1 / "bundle_entry2.json").read_text())
    assert verify_entry_bundle(bundle, public_key=PUBLIC_KEY_V1)
    assert bundle["root"] == ROOT_V1 and bundle["index"] == 2


def test_v1_can_be_extended_by_a_writer(tmp_path: Path) -> None:
    copy = tmp_path / "chronicle"
    shutil.copytree(V1 / "chronicle", copy)
    log = ChronicleLog(copy)
    ref = log.append({"kind": "after-migration-check"})
    assert ref.index == 5
    log.checkpoint()
    assert log.verify().ok
