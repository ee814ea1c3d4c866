"""The HITL review of a batch of proposals, in LangChain v1's human-in-the-loop wire shape.

Studio and Agent Chat UI render the interrupt value `{"action_requests": [...], "review_configs": [...]}` and resume
with `{"decisions": [{"type": "approve"} | {"type": "edit", "edited_action": {...}} | {"type": "reject", ...}]}`.
Decisions are validated all-or-nothing: a malformed resume, an approval the constitution would not count, or an edit
it refuses raises `DecisionError` and records nothing, so the caller can interrupt again and the thread stays
waiting. Every approval is bound to the content hash it saw.

Who counts is not decided here: the caller passes an `ApprovalCheck` and an `EditCheck` (the gate builds both from
the constitution), so this plane needs no policy engine. What this module guarantees by itself: an edit never
lowers the class, the editor is recorded, and only approvals the check counted are recorded as approving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from fractalops.errors import DecisionError
from fractalops.identity import Principal
from fractalops.planes.proposals.kinds import check_edit as check_edit_shape
from fractalops.planes.proposals.kinds import editable_fields, edited_payload, files_in_diff, review_args
from fractalops.planes.proposals.model import ApprovalClass, ApprovalRecord, Proposal, ProposalStatus
from fractalops.planes.proposals.store import ProposalStore, utcnow

__all__ = [
    "ActionRequest",
    "ReviewConfig",
    "HITLRequest",
    "HITLResponse",
    "ReviewOutcome",
    "ApprovalVerdict",
    "ApprovalCheck",
    "EditVerdict",
    "EditCheck",
    "build_review_request",
    "parse_decisions",
    "apply_decisions",
    "files_in_diff",
]

DecisionType = Literal["approve", "edit", "reject"]
_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject")
_RANK = {c: i for i, c in enumerate(ApprovalClass)}


@dataclass(frozen=True)
class ApprovalVerdict:
    """What the approval rules say about one proposal and the approvals bound to its current hash."""

    allowed: bool
    """Enough to apply: every approval the class needs is there."""
    counted: tuple[str, ...] = ()
    """The identities that counted (what relay's `Fractalops-Approved-By` lists)."""
    progress: str = ""
    """Short progress for reviewers, e.g. `approvals 1/2`."""
    refused: Mapping[str, str] = field(default_factory=dict)
    """identity -> why its approval does not count."""


ApprovalCheck = Callable[[Proposal, list[ApprovalRecord]], ApprovalVerdict]
"""Given a proposal as recorded (class, requester, editors) and its approvals bound to the current hash."""


@dataclass(frozen=True)
class EditVerdict:
    """What the constitution says about an edited payload."""

    allowed: bool
    """False when the edited content's class is above the author's ceiling (the edit is refused)."""
    approval_class: str
    """The class of the edited content (the proposal keeps the higher of this and its current class)."""
    reason: str
    """Why, in one sentence."""


EditCheck = Callable[[Proposal, dict[str, Any]], EditVerdict]
"""Given a proposal as it stands and its edited payload: may its author carry the edit, and at which class."""


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
    editable = editable_fields(p.kind)
    asked = f" for {p.requester}" if p.requester else ""
    edited = f" · edited by {', '.join(p.editors)} (editors cannot approve it)" if p.editors else ""
    lines = [
        f"**{p.title or p.kind}** — proposed by {p.author_agent}{asked} on thread {p.thread_id}{edited}",
        f"- proposal `{p.id}` · class **{p.approval_class}** · {status}",
        f"- content hash `{p.content_hash}` (an approval binds to it; an edit makes a new one)",
        f"- target `{p.target}` · " + (f"tool `{p.payload.get('tool')}`, run once by relay after approval"
                                         if p.kind == "tool_call" else
                                         f"files: {', '.join(p.payload.get('files', [])) or '(none)'}"),
        f"- editable: {editable} (other args are shown for reference and ignored on edit)",
    ]
    if p.feedback:
        lines.append(f"- note: {p.feedback}")
    if note:
        lines.append(f"- **previous decision refused:** {note}")
    return "\n".join(lines)


def _progress(p: Proposal, check: ApprovalCheck | None) -> str:
    if check is None:
        return f"{len(p.approvals_for_current_hash())} approval(s) on this hash"
    return check(p, p.approvals_for_current_hash()).progress


def build_review_request(proposals: list[Proposal], *, note: str = "", check: ApprovalCheck | None = None) -> HITLRequest:
    """One interrupt value for the whole batch: one action request per proposal, in order."""
    actions: list[ActionRequest] = []
    for p in proposals:
        actions.append(
            ActionRequest(name=p.kind, args=review_args(p), description=_describe(p, _progress(p, check), note))
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
            check_edit_shape((kinds or [])[i] if kinds else "workspace_patch",
                             action.get("args") if isinstance(action, dict) else None, i)
        if kind == "reject" and not isinstance(d.get("message", ""), str):
            raise DecisionError(f"decision {i}: a reject message must be a string")
    return decisions


_Step = Callable[[ProposalStore, ReviewOutcome], None]
"""One validated decision, recorded only once every decision of the batch has been validated."""


def _waiting(pid: str, note: str) -> _Step:
    def step(store: ProposalStore, outcome: ReviewOutcome) -> None:
        outcome.waiting.append(pid)
        outcome.notes.append(note)

    return step


def _reject(current: Proposal, record: ApprovalRecord) -> _Step:
    def step(store: ProposalStore, outcome: ReviewOutcome) -> None:
        store.add_decision(current.id, record, to=ProposalStatus.REJECTED)
        outcome.rejected.append(current.id)
        outcome.notes.append(f"{current.id} rejected by {record.identity}: {record.message}")

    return step


def _edit(i: int, current: Proposal, d: dict[str, Any], record: ApprovalRecord, check_edit: EditCheck) -> _Step:
    payload = edited_payload(current, d["edited_action"]["args"])
    verdict = check_edit(current, payload)
    if not verdict.allowed:
        raise DecisionError(f"decision {i}: the edit of {current.id} is refused by the constitution: {verdict.reason}; "
                            "nothing was recorded and the proposal still waits for review")
    new_class = max(current.approval_class, ApprovalClass(verdict.approval_class), key=_RANK.__getitem__)

    def step(store: ProposalStore, outcome: ReviewOutcome) -> None:
        edited = store.edit(current.id, payload, record, approval_class=new_class)
        raised = f", class raised {current.approval_class} -> {new_class}" if new_class != current.approval_class else ""
        outcome.waiting.append(current.id)
        outcome.notes.append(f"{current.id} edited by {record.identity}: new hash {edited.content_hash}{raised}, "
                             "back to review")

    return step


def _approve(i: int, current: Proposal, record: ApprovalRecord, check: ApprovalCheck) -> _Step:
    identity = record.identity
    if identity in current.approvers_for_current_hash():
        return _waiting(current.id, f"{current.id}: {identity} already approved; a distinct approver is needed")
    verdict = check(current, [*current.approvals_for_current_hash(), record])
    if identity not in verdict.counted and not verdict.allowed:
        why = verdict.refused.get(identity, "the constitution does not count it")
        raise DecisionError(f"decision {i}: the approval of {current.id} by {identity!r} would not count: {why}; "
                            "nothing was recorded, another approver must decide it")

    def step(store: ProposalStore, outcome: ReviewOutcome) -> None:
        done = verdict.allowed
        store.add_decision(current.id, record, to=ProposalStatus.APPROVED if done else None,
                           approved_by=list(verdict.counted) if done else None)
        (outcome.approved if done else outcome.waiting).append(current.id)
        outcome.notes.append(f"{current.id} approved by {identity} ({verdict.progress})")

    return step


def apply_decisions(
    store: ProposalStore,
    proposals: list[Proposal],
    decisions: list[dict[str, Any]],
    approver: Principal | None,
    *,
    check: ApprovalCheck,
    check_edit: EditCheck,
) -> ReviewOutcome:
    """Record validated decisions; each approval binds to the hash shown in the request.

    Everything is checked before anything is recorded: an approver who may not decide, an approval `check` would not
    count (an editor's, the requester's of a restricted proposal, ...) or an edit `check_edit` refuses raises
    `DecisionError` for the whole batch. An edit re-classifies the proposal (never lower) and records the editor.
    """
    if approver is None:
        raise DecisionError("no authenticated approver on this run; resume with an approver's API key")
    if not approver.can_approve():
        raise DecisionError(
            f"identity {approver.identity!r} (roles {', '.join(sorted(approver.roles)) or 'none'}) may not decide "
            "proposals: it needs the `approver` role and must not be an agent"
        )
    for p in proposals:
        if approver.identity == p.author_identity:
            raise DecisionError(f"identity {approver.identity!r} proposed {p.id} and cannot decide its own proposal")
    for i, (p, d) in enumerate(zip(proposals, decisions, strict=True)):
        if d["type"] == "edit":  # paths against the proposal's target, before anything of the batch is recorded
            check_edit_shape(p.kind, d["edited_action"]["args"], i, proposal=p)
    now = utcnow()
    steps: list[_Step] = []
    for i, (p, d) in enumerate(zip(proposals, decisions, strict=True)):
        current = store.get(p.id)
        if current.content_hash != p.content_hash or current.status != ProposalStatus.IN_REVIEW:
            steps.append(_waiting(p.id, f"{p.id} changed since it was shown ({current.status}); review it again"))
            continue
        base = {"identity": approver.identity, "content_hash": p.content_hash, "at": now}
        if d["type"] == "reject":
            message = d.get("message") or "rejected without a message"
            steps.append(_reject(current, ApprovalRecord(decision="reject", message=message, **base)))
        elif d["type"] == "edit":
            record = ApprovalRecord(decision="edit", message="edited; new content hash goes back to review", **base)
            steps.append(_edit(i, current, d, record, check_edit))
        else:
            steps.append(_approve(i, current, ApprovalRecord(decision="approve", roles=tuple(sorted(approver.roles)),
                                                             **base), check))
    outcome = ReviewOutcome()
    for step in steps:
        step(store, outcome)
    return outcome
