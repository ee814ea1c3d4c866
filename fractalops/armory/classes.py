"""Approval classes, lowest to highest. The Rego policy holds the same order (`rank` in constitution.rego)."""

from __future__ import annotations

from typing import Literal

__all__ = ["APPROVAL_CLASSES", "ApprovalClass", "class_rank"]

ApprovalClass = Literal["routine", "standard", "elevated", "restricted"]
APPROVAL_CLASSES: tuple[str, ...] = ("routine", "standard", "elevated", "restricted")
"""`routine` (recorded policy decision) < `standard` (1 human) < `elevated` (2 distinct humans) < `restricted`."""


def class_rank(approval_class: str) -> int:
    """0 for `routine` … 3 for `restricted`; `ValueError` for anything else."""
    return APPROVAL_CLASSES.index(approval_class)
