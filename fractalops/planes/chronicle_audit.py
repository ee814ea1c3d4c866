"""Chronicle audits on a data dir: verify against its witnesses, look up an entry, prove an inclusion.

Shared by the server (`GET /evidence/*`, which owns the data dir and the embedded warehouse) and the CLI's explicit
offline commands (`fractalops evidence verify --data-dir D`). `verify_data_dir` gathers the witnesses (proposal
store, warehouse) and the evidenced proposals' refs, then lets the evidence plane decide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from fractalops.errors import EvidenceError, FractalOpsError
from fractalops.planes.evidence import (
    ArtifactStore,
    CheckpointWitness,
    ChronicleLog,
    EvidencedRef,
    EvidenceRef,
    chronicle_dir,
    verify_against_witnesses,
    verify_inclusion,
)
from fractalops.planes.evidence.refs import check_log_name
from fractalops.planes.proposals import ChronicleWitnessStore, ProposalStatus, ProposalStore
from fractalops.planes.warehouse import WarehouseProtocol

__all__ = ["WitnessSource", "entry_document", "proof_document", "verify_data_dir"]


class WitnessSource(TypedDict):
    """Where witnesses were read from, for the verify document's `sources`."""

    name: str
    """`proposals.sqlite` or `warehouse`."""
    location: str
    """The file or warehouse location."""
    witnesses: int | None
    """Witness records read; None when the source was not read."""
    note: str
    """Why it was not read (absent, owned by another process), or empty."""


def _sqlite_witnesses(store: ChronicleWitnessStore | None, path: Path, log: str, found: list[CheckpointWitness],
                      bad: list[str]) -> WitnessSource:
    if store is None:
        return WitnessSource(name="proposals.sqlite", location=str(path), witnesses=None, note="no proposal store")
    source = f"proposals.sqlite ({store.path})"
    try:
        rows = store.list(log)
    except Exception as exc:  # noqa: BLE001 - sqlite3 errors too: an existing store that cannot be read is a problem
        bad.append(f"{source}: {exc}")
        return WitnessSource(name="proposals.sqlite", location=str(store.path), witnesses=None, note=str(exc))
    return WitnessSource(name="proposals.sqlite", location=str(store.path),
                         witnesses=_parse(rows, source, found, bad), note="")


def _warehouse_witnesses(warehouse: WarehouseProtocol | None, note: str, log: str, found: list[CheckpointWitness],
                         bad: list[str]) -> WitnessSource:
    if warehouse is None:
        return WitnessSource(name="warehouse", location="", witnesses=None, note=note or "no warehouse")
    location = str(getattr(warehouse, "location", ""))
    source = f"warehouse ({location})"
    try:
        rows = warehouse.chronicle_witnesses(log)
    except FractalOpsError as exc:
        bad.append(f"{source}: {exc}")
        return WitnessSource(name="warehouse", location=location, witnesses=None, note=str(exc)[:300])
    return WitnessSource(name="warehouse", location=location, witnesses=_parse(rows, source, found, bad), note="")


def _parse(rows: list[dict[str, Any]], source: str, found: list[CheckpointWitness], bad: list[str]) -> int:
    for row in rows:
        try:
            found.append(CheckpointWitness.from_record(row, source))
        except EvidenceError as exc:
            bad.append(str(exc))
    return len(rows)


def verify_data_dir(
    data_dir: Path,
    *,
    log: str = "main",
    allow_unsigned_tail: bool = False,
    proposals: ProposalStore | None,
    witnesses: ChronicleWitnessStore | None,
    warehouse: WarehouseProtocol | None,
    warehouse_note: str = "",
) -> dict[str, Any]:
    """The verify document for the Chronicle of `data_dir`, checked against the given witness stores.

    Pass None for a store the data dir does not have (and `warehouse_note` saying why the warehouse was not read).
    Witnesses and refs are read before the log, so a concurrent ledger write can only lengthen the log.
    """
    check_log_name(log)
    found: list[CheckpointWitness] = []
    bad: list[str] = []
    sources = [_sqlite_witnesses(witnesses, Path(data_dir) / "proposals.sqlite", log, found, bad),
               _warehouse_witnesses(warehouse, warehouse_note, log, found, bad)]
    evidenced = [EvidencedRef(p.id, p.evidence.get("chronicle", ""))
                 for p in (proposals.list(status=ProposalStatus.EVIDENCED) if proposals else [])]
    chronicle = ChronicleLog(chronicle_dir(data_dir), log, readonly=True)
    try:
        document = verify_against_witnesses(chronicle, found, evidenced, allow_unsigned_tail=allow_unsigned_tail,
                                            bad_witnesses=bad)
    finally:
        chronicle.close()
    return {**document, "sources": sources}


def entry_document(chronicle_root: Path, ref: str) -> dict[str, Any]:
    """`fractalops evidence show`: a log entry checked against the ref's leaf hash, or an artifact's metadata."""
    if ref.startswith("sha256:"):
        store = ArtifactStore(chronicle_root, readonly=True)
        artifact = store.stat(ref)
        store.get(artifact)  # checks the bytes still hash to the ref
        return {"ref": artifact.uri, "media_type": artifact.media_type, "size": artifact.size}
    parsed = EvidenceRef.parse(ref)
    with ChronicleLog(chronicle_root, parsed.log, readonly=True) as chronicle:
        return {"ref": parsed.uri, "entry": chronicle.lookup(parsed)}


def proof_document(chronicle_root: Path, index: int, *, log: str = "main", size: int | None = None) -> dict[str, Any]:
    """`fractalops evidence proof`: an entry's RFC 6962 audit path, checked against the root."""
    with ChronicleLog(chronicle_root, log, readonly=True) as chronicle:
        tree_size = chronicle.size if size is None else size
        path = chronicle.inclusion_proof(index, tree_size)
        leaf, root = chronicle.leaf_hash(index), chronicle.root_hash(tree_size)
        return {"log": log, "index": index, "size": tree_size, "ref": chronicle.ref(index).uri,
                "leaf_hash": leaf.hex(), "root": root.hex(), "audit_path": [p.hex() for p in path],
                "verified": verify_inclusion(leaf, index, tree_size, path, root)}
