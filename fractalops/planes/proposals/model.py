"""The `Proposal` record and its lifecycle state machine."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from fractalops.armory.classes import ApprovalClass
from fractalops.errors import IllegalTransitionError

__all__ = [
    "ApprovalClass",
    "ApprovalRecord",
    "ExecutionRecord",
    "Proposal",
    "ProposalStatus",
    "content_hash",
    "check_transition",
]


class ProposalStatus(StrEnum):
    """Where a proposal is in its life; `outcome_unknown` is terminal: relay started an external call (a `tool_call`)
    and no result was recorded, so whether it took effect is unknown and it is never called again by itself."""

    PROPOSED = "proposed"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    APPLIED = "applied"
    VISIBLE = "visible"
    EVIDENCED = "evidenced"
    STALE = "stale"
    OUTCOME_UNKNOWN = "outcome_unknown"


_S = ProposalStatus
_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    _S.PROPOSED: frozenset({_S.IN_REVIEW, _S.REJECTED}),
    _S.IN_REVIEW: frozenset({_S.IN_REVIEW, _S.APPROVED, _S.REJECTED}),
    _S.APPROVED: frozenset({_S.PUBLISHED, _S.STALE}),
    _S.PUBLISHED: frozenset({_S.APPLIED, _S.STALE, _S.OUTCOME_UNKNOWN}),
    _S.STALE: frozenset({_S.IN_REVIEW, _S.REJECTED}),
    _S.APPLIED: frozenset({_S.VISIBLE}),
    _S.VISIBLE: frozenset({_S.EVIDENCED}),
    _S.REJECTED: frozenset(),
    _S.EVIDENCED: frozenset(),
    _S.OUTCOME_UNKNOWN: frozenset(),
}


def check_transition(proposal_id: str, current: ProposalStatus, new: ProposalStatus) -> None:
    """Raise `IllegalTransitionError` unless `current -> new` is a lifecycle edge."""
    if new not in _TRANSITIONS[current]:
        allowed = ", ".join(sorted(_TRANSITIONS[current])) or "none (terminal)"
        raise IllegalTransitionError(
            f"proposal {proposal_id}: illegal transition {current} -> {new}; allowed from {current}: {allowed}"
        )


def content_hash(kind: str, target: str, payload: Any) -> str:
    """sha256 over the canonical JSON of what would be applied; approvals bind to this value."""
    canonical = json.dumps({"kind": kind, "target": target, "payload": payload}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class ApprovalRecord(BaseModel):
    """One human (or policy) decision, bound to the content hash it saw."""

    model_config = ConfigDict(frozen=True)

    decision: str
    """`approve`, `edit`, `reject`, or `policy` for a recorded routine approval."""
    identity: str
    """Approver identity from the LangGraph auth user (or `policy:constitution` for routine)."""
    content_hash: str
    """The hash the approver saw; an approval never carries over to another hash."""
    at: str
    """ISO-8601 UTC time of the decision."""
    message: str = ""
    """Reject message or edit note, carried back to the proposing agent."""
    roles: tuple[str, ...] = ()
    """The approver's roles when it decided (the constitution checks them for the proposal's class)."""


class ExecutionRecord(BaseModel):
    """What relay actually did with an approved proposal."""

    model_config = ConfigDict(frozen=True)

    commit: str
    """The commit created in the target (its message carries the proposal id); for a `tool_call`, the evidence ref
    (`sha256:<hex>`, the artifact store) of the tool's recorded result."""
    applied_hash: str
    """The content hash that was applied (equals the approved hash)."""
    at: str
    """ISO-8601 UTC time of the apply."""


class Proposal(BaseModel):
    """A request to mutate something; the only way anything changes."""

    id: str
    """Its own id, `prop_<32 hex>` (a UUIDv7, see `ids.py`); never derived from the thread's or another id."""
    thread_id: str
    """The LangGraph thread that produced it; a proposal belongs to exactly one thread."""
    idempotency_key: str = ""
    """The key its creating step passed (e.g. forge's `<run>:<n>`), unique within `thread_id`: a replay of that
    step gets this record back, another thread never does. Empty for records made without one."""
    author_agent: str
    """The squad agent that proposed it (e.g. `forge`); as `agent:<name>` it never approves it."""
    author_ceiling: str = ""
    """The authority ceiling of the author's bound asset, recorded by sentinel when it classified the proposal;
    an edit is re-classified against it (empty until sentinel has seen it)."""
    requester: str = ""
    """The identity that launched the run (the authenticated user, or the agent-role key's identity); empty when the
    run had no authenticated user. Records older than this field take it from their `principal`."""
    editors: list[str] = Field(default_factory=list)
    """Every identity that edited it, in the order of their first edit; an editor counts as an author of the
    edited proposal and never counts as its approver, for any later hash."""
    kind: str
    """`workspace_patch` (first kind), later `ontology_mapping`, ..."""
    target: str
    """What it mutates: for a workspace patch, the absolute path of the target git repo."""
    title: str = ""
    """One-line description shown to reviewers."""
    payload: dict[str, Any]
    """What would be applied: for a workspace patch `{"diff", "base_commit", "files"}`."""
    payload_ref: str
    """Content-addressed ref of the payload (`sha256:<hex>`), what thread state carries instead of the blob."""
    content_hash: str
    """sha256 of kind + target + payload; edits change it and send the proposal back to review."""
    approval_class: ApprovalClass = ApprovalClass.STANDARD
    """Assigned by sentinel from the constitution; a model can never lower it."""
    status: ProposalStatus = ProposalStatus.PROPOSED
    """Lifecycle state; see `check_transition` for the legal edges."""
    proposed: dict[str, Any] = Field(default_factory=dict)
    """What was first proposed: `{"content_hash", "payload_ref", "at"}` (never rewritten)."""
    approvals: list[ApprovalRecord] = Field(default_factory=list)
    """Every decision taken, in order, with identities, times and edits."""
    approved_by: list[str] = Field(default_factory=list)
    """The identities the constitution counted when it approved the current hash (relay's `Fractalops-Approved-By`):
    the humans, or `policy:constitution` for sentinel's routine approval; cleared whenever the hash changes."""
    executed: ExecutionRecord | None = None
    """What relay executed, once applied."""
    started_at: str = Field(default="", exclude_if=lambda value: not value)
    """When relay began executing it, written durably before an external call (a `tool_call`); a record that has it
    and no `executed` was interrupted between the call and its record and ends `outcome_unknown`. Absent from the
    serialized record until set (records from before it existed read the same)."""
    feedback: str = ""
    """The latest reject message or stale reason, shown to the proposing agent."""
    evidence: dict[str, str] = Field(default_factory=dict)
    """Proof-path refs once recorded: `graph` (IRI), `warehouse` (fact id), `chronicle` (`chronicle://…` ref)."""
    created_at: str = ""
    updated_at: str = ""

    @model_validator(mode="before")
    @classmethod
    def _requester_of_older_records(cls, data: Any) -> Any:
        # v1 records named who the agent acted for `principal` (an agent-role key, or `agent:<author>`).
        if isinstance(data, dict) and "requester" not in data and isinstance(data.get("principal"), str):
            return {**data, "requester": data["principal"]}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def principal(self) -> str:
        """Who the agent acted for: the requester (kept under this name for Chronicle, the graph and the CLI)."""
        return self.requester

    @property
    def author_identity(self) -> str:
        """The author agent as an identity (`agent:<name>`)."""
        return f"agent:{self.author_agent}"

    def approvals_for_current_hash(self) -> list[ApprovalRecord]:
        """One approval per distinct identity, counting only those bound to the current content hash."""
        seen: dict[str, ApprovalRecord] = {}
        for record in self.approvals:
            if record.decision in {"approve", "policy"} and record.content_hash == self.content_hash:
                seen.setdefault(record.identity, record)
        return list(seen.values())

    def approvers_for_current_hash(self) -> list[str]:
        """Distinct identities whose approval is bound to the current content hash."""
        return [record.identity for record in self.approvals_for_current_hash()]
