"""Chronicle evidence plane: an append-only RFC 6962 Merkle log plus a content-addressed WORM artifact store.

Everything lives under `<data_dir>/chronicle/`; `ChronicleLog.verify()` re-derives all of it, and
`verify_against_witnesses` also checks it against the checkpoints other stores witnessed (rollback detection).
"""

from __future__ import annotations

from pathlib import Path

from fractalops.planes.evidence.artifacts import ArtifactStore
from fractalops.planes.evidence.bundle import EntryBundle, verify_entry_bundle
from fractalops.planes.evidence.checkpoint import CheckpointJSON, SignedCheckpoint
from fractalops.planes.evidence.log import ChronicleLog
from fractalops.planes.evidence.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from fractalops.planes.evidence.public_urls import check_public_url, public_evidence_url
from fractalops.planes.evidence.refs import ArtifactRef, EvidenceRef, EvidenceRefs
from fractalops.planes.evidence.verify import VerifyResult, verify_chronicle
from fractalops.planes.evidence.witnesses import (
    CHECKS,
    CheckpointWitness,
    EvidencedRef,
    WitnessedVerifyDocument,
    WitnessRecord,
    key_id,
    verify_against_witnesses,
)

__all__ = [
    "ChronicleLog",
    "open_chronicle",
    "chronicle_dir",
    "EvidenceRef",
    "EvidenceRefs",
    "ArtifactRef",
    "ArtifactStore",
    "SignedCheckpoint",
    "CheckpointJSON",
    "VerifyResult",
    "verify_chronicle",
    "CHECKS",
    "CheckpointWitness",
    "EvidencedRef",
    "WitnessRecord",
    "WitnessedVerifyDocument",
    "key_id",
    "verify_against_witnesses",
    "EntryBundle",
    "verify_entry_bundle",
    "public_evidence_url",
    "check_public_url",
    "EMPTY_ROOT",
    "MerkleTree",
    "leaf_hash",
    "node_hash",
    "verify_inclusion",
    "verify_consistency",
]


def chronicle_dir(data_dir: Path | None = None) -> Path:
    """`<data_dir>/chronicle` (data dir from `fractalops.settings.data_dir()` when None)."""
    if data_dir is None:
        from fractalops.settings import data_dir as default_data_dir

        data_dir = default_data_dir()
    return Path(data_dir) / "chronicle"


def open_chronicle(data_dir: Path | None = None, *, name: str = "main", readonly: bool = False) -> ChronicleLog:
    """The default log (`main`) at `<data_dir>/chronicle/`; readers pass `readonly=True`."""
    return ChronicleLog(chronicle_dir(data_dir), name, readonly=readonly)
