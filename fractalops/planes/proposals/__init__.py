"""The Proposal Plane: the only allowed non-read mutation gate."""

from fractalops.planes.proposals.ids import new_proposal_id
from fractalops.planes.proposals.model import (
    ApprovalClass,
    ApprovalRecord,
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    check_transition,
    content_hash,
)
from fractalops.planes.proposals.store import ProposalStore, utcnow
from fractalops.planes.proposals.witness import ChronicleWitnessStore, open_witness_store
from fractalops.planes.proposals.workspace_patch import (
    ApplyOutcome,
    apply_workspace_patch,
    find_applied_commit,
)

__all__ = [
    "ApplyOutcome",
    "ApprovalClass",
    "ApprovalRecord",
    "ChronicleWitnessStore",
    "ExecutionRecord",
    "Proposal",
    "ProposalStatus",
    "ProposalStore",
    "apply_workspace_patch",
    "check_transition",
    "content_hash",
    "find_applied_commit",
    "new_proposal_id",
    "open_witness_store",
    "utcnow",
]
