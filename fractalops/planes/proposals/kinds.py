"""What differs between proposal kinds at review time: the args a reviewer sees and how an edit is read back.

`workspace_patch` payloads are `{"diff", "base_commit", "files"}`; `ontology_mapping` payloads are what
`TermMap.propose_mapping` returns (`{"kind", "target", "summary", "turtle", "content": {project, local_term,
global_iri, match}}`). An edit is validated here, before anything is recorded, so a bad edit leaves the proposal
untouched and the thread waiting.
"""

from __future__ import annotations

import re
from typing import Any

from fractalops.errors import DecisionError, SemanticsError
from fractalops.planes.proposals.model import Proposal
from fractalops.planes.semantics.ontology import is_global_term
from fractalops.planes.semantics.terms import expand_global_iri

__all__ = ["review_args", "edited_payload", "files_in_diff", "MAPPING_MATCHES"]

MAPPING_MATCHES = ("exactMatch", "broadMatch")


def files_in_diff(diff: str) -> list[str]:
    return sorted({m.group(2) for m in re.finditer(r"^diff --git a/(\S+) b/(\S+)$", diff, flags=re.M)})


def review_args(p: Proposal) -> dict[str, Any]:
    """The action request args shown to a reviewer (and editable in Studio / Agent Chat UI)."""
    base = {"proposal_id": p.id, "content_hash": p.content_hash, "approval_class": str(p.approval_class),
            "target": p.target}
    if p.kind == "ontology_mapping":
        content = p.payload.get("content", {})
        return {**base, **{k: content.get(k) for k in ("project", "local_term", "global_iri", "match")},
                "turtle": p.payload.get("turtle", "")}
    return {**base, "files": p.payload.get("files", []), "diff": p.payload.get("diff", "")}


def _check_patch(args: dict[str, Any], i: int) -> None:
    if not isinstance(args.get("diff"), str) or not args["diff"].strip():
        raise DecisionError(f'decision {i}: an edit needs "edited_action": {{"name": ..., "args": {{"diff": "<unified diff>"}}}}')
    if not files_in_diff(args["diff"]):
        raise DecisionError(f"decision {i}: the edited diff has no `diff --git a/... b/...` file header")


def _check_mapping(args: dict[str, Any], i: int) -> None:
    iri, match = args.get("global_iri"), args.get("match", "exactMatch")
    if not isinstance(iri, str) or not iri:
        raise DecisionError(f'decision {i}: an edited mapping needs "args": {{"global_iri": "fo:<DomainTerm>"}}')
    try:
        known = is_global_term(expand_global_iri(iri))
    except SemanticsError as exc:
        raise DecisionError(f"decision {i}: {exc}") from None
    if not known:
        raise DecisionError(f"decision {i}: {iri!r} is not a global domain term (fo:DomainTerm) of the ontology")
    if match not in MAPPING_MATCHES:
        raise DecisionError(f"decision {i}: match {match!r} must be one of {', '.join(MAPPING_MATCHES)}")


def check_edit(kind: str, args: Any, i: int) -> None:
    if not isinstance(args, dict):
        raise DecisionError(f'decision {i}: an edit needs "edited_action": {{"name": ..., "args": {{...}}}}')
    (_check_mapping if kind == "ontology_mapping" else _check_patch)(args, i)


def edited_payload(p: Proposal, args: dict[str, Any]) -> dict[str, Any]:
    """The new payload after a validated edit (a new content hash follows from it)."""
    if p.kind == "ontology_mapping":
        content = {**p.payload.get("content", {}), "global_iri": expand_global_iri(args["global_iri"]),
                   "match": args.get("match", "exactMatch")}
        summary = f"map local term {content['local_term']!r} of project {content['project']!r} to {content['global_iri']}"
        return {**p.payload, "content": content, "summary": summary, "turtle": ""}
    diff = args["diff"] if args["diff"].endswith("\n") else args["diff"] + "\n"
    return {**p.payload, "diff": diff, "files": files_in_diff(diff)}
