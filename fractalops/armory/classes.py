"""Approval classes, lowest to highest: the one `ApprovalClass` of the project (the Rego policy holds the same order,
`rank` in `policy/classes.rego`)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["APPROVAL_CLASSES", "ApprovalClass", "class_rank"]


class ApprovalClass(StrEnum):
    """How much human approval a proposal needs; a plain string on the wire (`"standard"`)."""

    ROUTINE = "routine"
    """A recorded policy decision, no human."""
    STANDARD = "standard"
    """One human approver."""
    ELEVATED = "elevated"
    """Two distinct humans, at least one neither the requester nor an editor."""
    RESTRICTED = "restricted"
    """Two owner/security humans who are neither requester, editor nor author."""


APPROVAL_CLASSES: tuple[str, ...] = tuple(ApprovalClass)
"""The class names, lowest first."""


def class_rank(approval_class: str) -> int:
    """0 for `routine` … 3 for `restricted`; `ValueError` for anything else."""
    return APPROVAL_CLASSES.index(approval_class)
