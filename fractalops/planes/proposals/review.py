"""The HITL review of a batch of proposals, in LangChain v1's human-in-the-loop wire shape.

Studio and Agent Chat UI render the interrupt value `{"action_requests": [...], "review_configs": [...]}` and resume
with `{"decisions": [{"type": "approve"} | {"type": "edit", "edited_action": {...}} | {"type": "reject", ...}]}`.
Decisions are validated all-or-nothing: a malformed resume raises `DecisionError` and records nothing, so the
caller can interrupt again and the thread stays waiting. Every approval is bound to the content hash it saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from fractalops.errors import DecisionError
from fractalops.identity import Principal
from fractalops.planes.proposals.kinds import check_edit, edited_payload, files_in_diff, review_args
from fractalops.planes.proposals.model import ApprovalRecord, Proposal, ProposalStatus
from fractalops.planes.proposals.store import ProposalStore, utcnow

__all__ = [
    "ActionRequest",
    "ReviewConfig",
    "HITLRequest",
    "HITLResponse",
    "ReviewOutcome",
    "REQUIRED_APPROVERS",
    "ApprovalCheck",
    "count_check",
    "build_review_request",
    "parse_decisions",
    "apply_decisions",
    "files_in_diff",
]

DecisionType = Literal["approve", "edit", "reject"]
_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject")

REQUIRED_APPROVERS = {"routine": 0, "standard": 1, "elevated": 2, "restricted": 2}
"""Distinct human approvers each class needs when no constitution is consulted (see `ApprovalCheck`)."""

ApprovalCheck = Callable[[Proposal, list[ApprovalRecord]], tuple[bool, str]]
"""Given a proposal and its approvals bound to the current hash: (enough to apply?, why or what is missing)."""


def count_check(p: Proposal, approvals: list[ApprovalRecord]) -> tuple[bool, str]:
    need = REQUIRED_APPROVERS.get(str(p.approval_class), 1)
    return len(approvals) >= need, f"{len(approvals)}/{need} approvals"


class ActionRequest(TypedDict):
    name: str
    args: dict[str, Any]
    description: NotRequired[str]


class ReviewConfig(TypedDict):
    action_name: str
    allowed_decisions: list[DecisionType]


class HITLRequest(TypedDict):
    action_requests: list[ActionRequest]
    review_configs: list[ReviewConfig]


class HITLResponse(TypedDict):
    decisions: list[dict[str, Any]]


@dataclass
class ReviewOutcome:
    approved: list[str] = field(default_factory=list)
    """Proposals whose current hash now has every approval its class needs."""
    rejected: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    """Still in review: edited (new hash) or short of distinct approvers."""
    notes: list[str] = field(default_factory=list)


def _describe(p: Proposal, status: str, note: str) -> str:
    editable = "global_iri, match" if p.kind == "ontology_mapping" else "diff"
    lines = [
        f"**{p.title or p.kind}** — proposed by {p.author_agent} ({p.principal}) on thread {p.thread_id}",
        f"- proposal `{p.id}` · class **{p.approval_class}** · {status}",
        f"- content hash `{p.content_hash}` (an approval binds to it; an edit makes a new one)",
        f"- target `{p.target}` · files: {', '.join(p.payload.get('files', [])) or '(none)'}",
        f"- editable: {editable} (other args are shown for reference and ignored on edit)",
    ]
    if p.feedback:
        lines.append(f"- note: {p.feedback}")
    if note:
        lines.append(f"- **previous decision refused:** {note}")
    return "\n".join(lines)


def build_review_request(proposals: list[Proposal], *, note: str = "", check: ApprovalCheck = count_check) -> HITLRequest:
    """One interrupt value for the whole batch: one action request per proposal, in order."""
    actions: list[ActionRequest] = []
    for p in proposals:
        actions.append(
            ActionRequest(
                name=p.kind,
                args=review_args(p),
                description=_describe(p, check(p, p.approvals_for_current_hash())[1], note),
            )
        )
    names = list(dict.fromkeys(a["name"] for a in actions))
    return HITLRequest(
        action_requests=actions,
        review_configs=[ReviewConfig(action_name=n, allowed_decisions=list(_DECISIONS)) for n in names],
    )


def parse_decisions(value: Any, expected: int, kinds: list[str] | None = None) -> list[dict[str, Any]]:
    """Validate a resume value (edits per proposal kind); raise `DecisionError` saying exactly what is wrong."""
    if isinstance(value, list):
        value = {"decisions": value}
    if not isinstance(value, dict) or not isinstance(value.get("decisions"), list):
        raise DecisionError(
            'resume with {"decisions": [...]}, one decision per action request; got '
            f"{type(value).__name__} {str(value)[:120]!r}"
        )
    decisions = value["decisions"]
    if len(decisions) != expected:
        raise DecisionError(f"expected {expected} decision(s), one per action request, got {len(decisions)}")
    for i, d in enumerate(decisions):
        kind = d.get("type") if isinstance(d, dict) else None
        if kind not in _DECISIONS:
            raise DecisionError(f"decision {i}: unknown type {kind!r}; use one of {', '.join(_DECISIONS)}")
        if kind == "edit":
            action = d.get("edited_action")
            check_edit((kinds or [])[i] if kinds else "workspace_patch",
                       action.get("args") if isinstance(action, dict) else None, i)
        if kind == "reject" and not isinstance(d.get("message", ""), str):
            raise DecisionError(f"decision {i}: a reject message must be a string")
    return decisions


def apply_decisions(
    store: ProposalStore,
    proposals: list[Proposal],
    decisions: list[dict[str, Any]],
    approver: Principal | None,
    *,
    check: ApprovalCheck = count_check,
) -> ReviewOutcome:
    """Record validated decisions; each approval binds to the hash shown in the request."""
    if approver is None:
        raise DecisionError("no authenticated approver on this run; resume with an approver's API key")
    if not approver.can_approve():
        raise DecisionError(
            f"identity {approver.identity!r} (roles {', '.join(sorted(approver.roles)) or 'none'}) may not decide "
            "proposals: it needs the `approver` role and must not be an agent"
        )
    for p in proposals:
        if approver.identity in {p.principal, f"agent:{p.author_agent}"}:
            raise DecisionError(f"identity {approver.identity!r} proposed {p.id} and cannot decide its own proposal")
    for i, (p, d) in enumerate(zip(proposals, decisions, strict=True)):
        if d["type"] == "edit":  # against the proposal's target, before anything of the batch is recorded
            check_edit(p.kind, d["edited_action"]["args"], i, proposal=p)
    outcome = ReviewOutcome()
    now = utcnow()
    for p, d in zip(proposals, decisions, strict=True):
        current = store.get(p.id)
        if current.content_hash != p.content_hash or current.status != ProposalStatus.IN_REVIEW:
            outcome.waiting.append(p.id)
            outcome.notes.append(f"{p.id} changed since it was shown ({current.status}); review it again")
            continue
        kind = d["type"]
        if kind == "reject":
            message = d.get("message") or "rejected without a message"
            store.add_decision(p.id, ApprovalRecord(decision="reject", identity=approver.identity,
                                                    content_hash=p.content_hash, at=now, message=message),
                               to=ProposalStatus.REJECTED)
            outcome.rejected.append(p.id)
            outcome.notes.append(f"{p.id} rejected by {approver.identity}: {message}")
        elif kind == "edit":
            payload = edited_payload(current, d["edited_action"]["args"])
            edited = store.edit(p.id, payload, ApprovalRecord(decision="edit", identity=approver.identity,
                                                              content_hash=p.content_hash, at=now,
                                                              message="edited; new content hash goes back to review"))
            outcome.waiting.append(p.id)
            outcome.notes.append(f"{p.id} edited by {approver.identity}: new hash {edited.content_hash}, back to review")
        else:
            if approver.identity in current.approvers_for_current_hash():
                outcome.waiting.append(p.id)
                outcome.notes.append(f"{p.id}: {approver.identity} already approved; a distinct approver is needed")
                continue
            record = ApprovalRecord(decision="approve", identity=approver.identity, content_hash=p.content_hash, at=now,
                                    roles=tuple(sorted(approver.roles)))
            done, why = check(current, [*current.approvals_for_current_hash(), record])
            store.add_decision(p.id, record, to=ProposalStatus.APPROVED if done else None)
            (outcome.approved if done else outcome.waiting).append(p.id)
            outcome.notes.append(f"{p.id} approved by {approver.identity} ({why})")
    return outcome
