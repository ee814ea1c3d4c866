"""What differs between proposal kinds at review time: the args a reviewer sees and how an edit is read back.

`workspace_patch` payloads are `{"diff", "base_commit", "files"}`, `files` being what git reads the diff as touching
(`patch_files`); `ontology_mapping` payloads are what `TermMap.propose_mapping` returns (`{"kind", "target", "summary",
"turtle", "content": {project, local_term, global_iri, match}}`); `tool_call` payloads are `{"asset_id", "tool",
"arguments"}` (`tool_call.py`). An edit is validated here, before anything is recorded, so a bad edit leaves the
proposal untouched and the thread waiting: an edited diff must be one git reads, that applies to the proposal's
base, and whose every path passes the path policy (no `..`, `.git`, control characters, symlinks or submodules); an
edited tool call changes only its `arguments`, a JSON object (or the text of one, as a form sends it back).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fractalops.errors import DecisionError, ProposalError, SemanticsError, UnsafePathError
from fractalops.planes.proposals.model import Proposal
from fractalops.planes.proposals.patch_files import (
    check_patch,
    files_in_diff,
    inspect_patch,
    read_patch_names,
)
from fractalops.planes.proposals.tool_call import TOOL_CALL, check_arguments
from fractalops.planes.semantics.ontology import is_global_term
from fractalops.planes.semantics.terms import expand_global_iri
from fractalops.repo_paths import check_repo_path

__all__ = ["review_args", "check_edit", "edited_payload", "editable_fields", "files_in_diff", "MAPPING_MATCHES"]

MAPPING_MATCHES = ("exactMatch", "broadMatch")


def _file_changes(p: Proposal) -> list[str]:
    try:
        return inspect_patch(p.payload.get("diff", ""), Path(p.target), p.payload.get("base_commit", "")).describe()
    except ProposalError as exc:
        return [f"(git could not read this diff against its target: {exc})"]


def review_args(p: Proposal) -> dict[str, Any]:
    """The action request args shown to a reviewer (and editable in Studio / Agent Chat UI)."""
    base = {"proposal_id": p.id, "content_hash": p.content_hash, "approval_class": str(p.approval_class),
            "target": p.target}
    if p.kind == "ontology_mapping":
        content = p.payload.get("content", {})
        return {**base, **{k: content.get(k) for k in ("project", "local_term", "global_iri", "match")},
                "turtle": p.payload.get("turtle", "")}
    if p.kind == TOOL_CALL:
        return {**base, **{k: p.payload.get(k) for k in ("asset_id", "tool", "arguments")}}
    # every path with what happens to it, mode changes (an executable bit) included, as git reads the diff
    return {**base, "files": p.payload.get("files", []), "file_changes": _file_changes(p),
            "diff": p.payload.get("diff", "")}


def editable_fields(kind: str) -> str:
    """The args of a kind's action request that an edit reads (the others are shown for reference)."""
    return {"ontology_mapping": "global_iri, match", TOOL_CALL: "arguments"}.get(kind, "diff")


def _edited_arguments(args: dict[str, Any], i: int) -> dict[str, Any]:
    value = args.get("arguments")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise DecisionError(f"decision {i}: the edited arguments are not JSON ({exc}); the proposal is "
                                "unchanged") from None
    try:
        return check_arguments(value, f"decision {i}")
    except ProposalError as exc:
        raise DecisionError(f'{exc}; an edit needs "args": {{"arguments": {{...}}}}, the proposal is unchanged') from None


def _edited_diff(args: dict[str, Any]) -> str:
    return args["diff"] if args["diff"].endswith("\n") else args["diff"] + "\n"


def _check_patch(args: dict[str, Any], i: int, proposal: Proposal | None) -> None:
    if not isinstance(args.get("diff"), str) or not args["diff"].strip():
        raise DecisionError(f'decision {i}: an edit needs "edited_action": {{"name": ..., "args": {{"diff": "<unified diff>"}}}}')
    diff = _edited_diff(args)
    try:
        if proposal is None:  # the shape only: git must read it and every name it reads must pass the policy
            for name in read_patch_names(diff):
                check_repo_path(name)
        else:
            check_patch(diff, Path(proposal.target), proposal.payload.get("base_commit", ""))
    except (UnsafePathError, ProposalError) as exc:
        raise DecisionError(f"decision {i}: the edited diff is refused: {exc}; the proposal is unchanged") from None


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


def check_edit(kind: str, args: Any, i: int, proposal: Proposal | None = None) -> None:
    """Refuse a malformed edit (`DecisionError`); with `proposal`, also check an edited diff against its target."""
    if not isinstance(args, dict):
        raise DecisionError(f'decision {i}: an edit needs "edited_action": {{"name": ..., "args": {{...}}}}')
    if kind == "ontology_mapping":
        _check_mapping(args, i)
    elif kind == TOOL_CALL:
        _edited_arguments(args, i)
    else:
        _check_patch(args, i, proposal)


def edited_payload(p: Proposal, args: dict[str, Any]) -> dict[str, Any]:
    """The new payload after a validated edit (a new content hash follows from it)."""
    if p.kind == "ontology_mapping":
        content = {**p.payload.get("content", {}), "global_iri": expand_global_iri(args["global_iri"]),
                   "match": args.get("match", "exactMatch")}
        summary = f"map local term {content['local_term']!r} of project {content['project']!r} to {content['global_iri']}"
        return {**p.payload, "content": content, "summary": summary, "turtle": ""}
    if p.kind == TOOL_CALL:  # asset and tool stay what was proposed: an edit changes what is sent, not where
        return {**p.payload, "arguments": _edited_arguments(args, 0)}
    diff = _edited_diff(args)
    return {**p.payload, "diff": diff, "files": files_in_diff(diff, Path(p.target), p.payload["base_commit"])}
