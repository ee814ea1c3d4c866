"""The squad's graph state: run input plus ids, refs and the compact summary (never blobs)."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

__all__ = ["SquadInput", "SquadState", "keep_recent"]

_RECENT = 24


def keep_recent(left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Reducer for pack notes: append, keep only the most recent few (state stays compact)."""
    return [*(left or []), *(right or [])][-_RECENT:]


class SquadInput(TypedDict, total=False):
    """What a run takes: structured input, or a chat `messages` list whose last human message is the intent."""

    intent: str
    """What the requester wants, in their words."""
    workspace: str
    """Path of the target git repo."""
    changes: list[dict[str, str]]
    """`[{"path": "<relative file>", "content": "<new text>"}]` for the default deterministic forge asset."""
    messages: Annotated[list[AnyMessage], add_messages]
    """Chat input (Agent Chat UI, Studio chat); the squad answers with one summary message per run."""


class SquadState(SquadInput, total=False):
    summary: dict[str, Any]
    """The compact thread summary (`hud.ThreadSummary`): the HUD's only input."""
    resumed: bool
    """Continuity of the current run: True when it continues an existing thread (`resume`)."""
    route: str
    """`change`, `observe` or `access_recovery`."""
    phase: str
    """`launch`, `build`, `review`, `apply`, `prove`, `done`."""
    packs: list[str]
    """Extension packs enabled for this run."""
    changes_ref: str
    """Content ref of the requested changes in the payload store (atlas moves the blob out of state)."""
    proposal_ids: list[str]
    """Proposals this run produced (ids only; the records live in the Proposal Plane)."""
    gate_note: str
    """Why the previous resume value was refused (shown in the next interrupt)."""
    blocked: dict[str, Any]
    """For `access_recovery`: `{"at": <node>, "reason": ..., "missing": [refs]}`."""
    pack_notes: Annotated[list[dict[str, Any]], keep_recent]
    """Recent advice from pack agents: `{"agent", "note"}`."""
