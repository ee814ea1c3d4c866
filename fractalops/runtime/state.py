"""The squad's graph state, input and run context: ids, refs and the compact summary (never blobs).

`typing_extensions.TypedDict` (not `typing`'s) because the server builds Studio's forms from these types with
pydantic, which needs it on Python < 3.12; the docstring under each field becomes its description in the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

__all__ = ["SquadInput", "SquadOutput", "SquadState", "SquadContext", "keep_recent"]

_RECENT = 24
_DESCRIBED = ConfigDict(use_attribute_docstrings=True)


def keep_recent(left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Reducer for pack notes: append, keep only the most recent few (state stays compact)."""
    return [*(left or []), *(right or [])][-_RECENT:]


@with_config(_DESCRIBED)
class SquadContext(TypedDict, total=False):
    """Run options (LangGraph run `context`, or the same keys under `config.configurable`); kept on the thread."""

    packs: list[str]
    """Extension packs to enable: `design`, `ia_pm`, `qa_support`, `deep_lineage`."""
    bindings: dict[str, str]
    """Agent -> asset_id or role in the Armory (e.g. `{"forge": "claude.default"}`)."""


@with_config(_DESCRIBED)
class SquadInput(TypedDict, total=False):
    """What a run takes: structured input, or a chat `messages` list whose last human message is the intent."""

    intent: str
    """What the requester wants, in their words."""
    workspace: str
    """Path of the target git repo (on the server)."""
    changes: list[dict[str, str]]
    """`[{"path": "<relative file>", "content": "<new text>"}]` for the default deterministic forge asset."""
    mode: str
    """`auto` (default): build when forge can; `observe`: the read-only route, whatever forge is bound to."""
    messages: Annotated[list[AnyMessage], add_messages]
    """Chat input (Agent Chat UI, Studio chat); the squad answers with one sentence per run."""


@with_config(_DESCRIBED)
class SquadOutput(TypedDict, total=False):
    """What a finished (or waiting) run leaves for the caller."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The chat, ending with the squad's one-sentence outcome."""
    summary: dict[str, Any]
    """The compact thread summary the HUD is compiled from (`GET /threads/{id}/hud` serves the HUD)."""
    route: str
    """`change`, `observe` or `access_recovery`."""
    phase: str
    """Where the thread is (`done` once the run is over; `review` or `blocked` while it waits)."""
    proposal_ids: list[str]
    """Proposals this run produced (records: `GET /proposals/{id}`)."""
    pack_notes: Annotated[list[dict[str, Any]], keep_recent]
    """Recent advice from the enabled pack agents: `{"agent", "note"}`."""


@with_config(_DESCRIBED)
class SquadState(SquadInput, total=False):
    summary: dict[str, Any]
    """The compact thread summary (`hud.ThreadSummary`): the HUD's only input."""
    resumed: bool
    """Continuity of the current run: True when it continues an existing thread (`resume`)."""
    route: str
    """A `runtime.phases.Route` value."""
    phase: str
    """A `runtime.phases.Phase` value: what runs next."""
    packs: list[str]
    """Extension packs enabled on this thread (from the launch's run options; kept across resumes)."""
    bindings: dict[str, str]
    """Agent -> asset bindings of this thread (from the launch's run options; kept across resumes)."""
    changes_ref: str
    """Content ref of the requested changes in the payload store (atlas moves the blob out of state)."""
    task: str
    """What forge is asked to build this run: atlas's model-written task statement, else the full intent."""
    proposal_ids: list[str]
    """Proposals this run produced (ids only; the records live in the Proposal Plane)."""
    gate_note: str
    """Why the previous resume value was refused (shown in the next interrupt)."""
    blocked: dict[str, Any]
    """For `access_recovery`: `{"at": <node>, "reason": ..., "missing": [refs]}`."""
    pack_notes: Annotated[list[dict[str, Any]], keep_recent]
    """Recent advice from pack agents: `{"agent", "note"}`."""
