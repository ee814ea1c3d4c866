"""The proof path: semantic identity (graph) + warehouse fact + Chronicle provenance, checked per plane.

`check_proof` asks each live plane whether it holds the record a ref names; `proof_bundle` exports what each plane
holds so `check_bundle` can re-check the same verdict offline (graph triples, warehouse row, Chronicle inclusion
proof against a signed checkpoint) and cross-check that the three records name each other. DataHub is not a
plane of the proof path: a catalog entry never closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from fractalops.errors import FractalOpsError
from fractalops.planes.evidence import ChronicleLog, EvidenceRef, verify_entry_bundle

__all__ = ["PLANES", "PlaneVerdict", "ProofVerdict", "check_proof", "proof_bundle", "check_bundle", "BUNDLE_FORMAT"]

PLANES = ("graph", "warehouse", "chronicle")
BUNDLE_FORMAT = "fractalops-proof-bundle/v1"


class PlaneVerdict(TypedDict):
    ok: bool
    ref: str | None
    reason: str


class ProofVerdict(TypedDict):
    closed: bool
    graph: PlaneVerdict
    warehouse: PlaneVerdict
    chronicle: PlaneVerdict


class _Semantics(Protocol):
    def has_identity(self, iri: str) -> bool: ...
    def describe(self, iri: str) -> list[tuple[str, str, str]]: ...


class _Warehouse(Protocol):
    def get_proof_fact(self, fact_id: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class _Planes:
    semantics: _Semantics
    warehouse: _Warehouse
    chronicle: ChronicleLog


def _verdict(ok: bool, ref: str | None, reason: str) -> PlaneVerdict:
    return PlaneVerdict(ok=ok, ref=ref or None, reason=reason)


def _close(graph: PlaneVerdict, warehouse: PlaneVerdict, chronicle: PlaneVerdict) -> ProofVerdict:
    return ProofVerdict(closed=graph["ok"] and warehouse["ok"] and chronicle["ok"], graph=graph, warehouse=warehouse,
                        chronicle=chronicle)


def _chronicle_entry(log: ChronicleLog, ref: str) -> tuple[dict[str, Any] | None, str]:
    try:
        return log.lookup(ref), "entry present and its leaf hash matches the ref"
    except FractalOpsError as exc:
        return None, f"Chronicle does not hold {ref}: {exc}"


def check_proof(refs: dict[str, str], *, semantics: _Semantics, warehouse: _Warehouse, chronicle: ChronicleLog,
                proposal_id: str = "") -> ProofVerdict:
    """Ask each plane whether it holds the record named by `refs` (`{"graph", "warehouse", "chronicle"}`)."""
    iri, fact_id, ref = refs.get("graph", ""), refs.get("warehouse", ""), refs.get("chronicle", "")
    graph = (_verdict(True, iri, "semantic identity present") if iri and semantics.has_identity(iri)
             else _verdict(False, iri, f"no semantic identity {iri} in the graph" if iri else "no graph ref recorded"))
    row = warehouse.get_proof_fact(fact_id) if fact_id else None
    if row is None:
        wh = _verdict(False, fact_id, f"no proof fact {fact_id} in the warehouse" if fact_id else "no warehouse ref recorded")
    elif proposal_id and row.get("proposal_id") != proposal_id:
        wh = _verdict(False, fact_id, f"proof fact {fact_id} belongs to {row.get('proposal_id')}, not {proposal_id}")
    else:
        wh = _verdict(True, fact_id, "proof fact present")
    if not ref:
        ch = _verdict(False, None, "no Chronicle ref recorded")
    else:
        entry, reason = _chronicle_entry(chronicle, ref)
        ok = entry is not None and (not proposal_id or entry.get("proposal_id") == proposal_id)
        ch = _verdict(ok, ref, reason if entry is None or ok else f"{ref} is about {entry.get('proposal_id')}")
    return _close(graph, wh, ch)


def proof_bundle(refs: dict[str, str], *, semantics: _Semantics, warehouse: _Warehouse, chronicle: ChronicleLog,
                 proposal_id: str = "") -> dict[str, Any]:
    """A self-contained JSON bundle: what each plane holds for `refs`, checkable offline with `check_bundle`."""
    iri, fact_id, ref = refs.get("graph", ""), refs.get("warehouse", ""), refs.get("chronicle", "")
    bundle: dict[str, Any] = {"format": BUNDLE_FORMAT, "proposal_id": proposal_id, "refs": dict(refs),
                              "graph": {"iri": iri, "triples": [list(t) for t in semantics.describe(iri)] if iri else []},
                              "warehouse": {"fact_id": fact_id, "row": warehouse.get_proof_fact(fact_id) if fact_id else None},
                              "chronicle": None}
    if ref:
        try:
            bundle["chronicle"] = dict(chronicle.export_bundle(EvidenceRef.parse(ref).index))
        except FractalOpsError:
            bundle["chronicle"] = None
    return bundle


def check_bundle(bundle: dict[str, Any], *, public_key: str | None = None) -> ProofVerdict:
    """Re-check a `proof_bundle` with no plane reachable; the three records must also name each other."""
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        missing = _verdict(False, None, f"not a {BUNDLE_FORMAT} bundle")
        return _close(missing, missing, missing)
    refs, pid = bundle.get("refs") or {}, bundle.get("proposal_id") or ""
    iri, fact_id, ref = refs.get("graph", ""), refs.get("warehouse", ""), refs.get("chronicle", "")
    triples = bundle.get("graph", {}).get("triples") or []
    graph = (_verdict(True, iri, f"{len(triples)} triples about {iri}") if iri and any(t[0] == iri for t in triples)
             else _verdict(False, iri, "the bundle has no triples about the graph ref"))
    row = bundle.get("warehouse", {}).get("row")
    row_ok = bool(row) and row.get("fact_id") == fact_id and row.get("graph_iri") == iri and row.get("chronicle_ref") == ref \
        and (not pid or row.get("proposal_id") == pid)
    wh = _verdict(row_ok, fact_id, "warehouse row names the same graph IRI and Chronicle ref" if row_ok
                  else "the warehouse row is missing or does not name the same graph IRI / Chronicle ref / proposal")
    entry_bundle = bundle.get("chronicle")
    if not entry_bundle:
        ch = _verdict(False, ref, "the bundle has no Chronicle inclusion proof")
    else:
        ok = verify_entry_bundle(entry_bundle, public_key)
        entry = entry_bundle.get("entry") or {}
        try:
            ref_ok = EvidenceRef.parse(ref).index == entry_bundle.get("index") and ref.endswith(entry_bundle.get("leaf_hash", "?"))
        except FractalOpsError:
            ref_ok = False
        linked = entry.get("graph_iri") == iri and (not pid or entry.get("proposal_id") == pid)
        ch = _verdict(ok and ref_ok and linked, ref,
                      "inclusion proof verifies against the signed checkpoint" if ok and ref_ok and linked
                      else "inclusion proof, ref or links do not verify")
    return _close(graph, wh, ch)
