"""Who may do what on this server: one resource × action × role-class table, enforced in code.

The LangGraph auth handlers (`server/auth.py`) and our own routes (`server/app.py`) both decide from `POLICY`;
the README's access table is rendered from it (`render_policy_table`), and the route × role test checks every route
of the server's OpenAPI document against it. A resource/action with no entry is refused, never allowed.

`all`: every instance · `own`: only what the identity created (threads and crons by their `owner` metadata, store
items under its own namespace) · `no`: refused with 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from fractalops.identity import ROLE_CLASSES, Principal

__all__ = ["Access", "POLICY", "decide", "refusal_message", "render_policy_table", "OWNER_KEY"]

OWNER_KEY = "owner"
"""Metadata key holding the identity that created a thread or cron (set by the server, never by the caller)."""


class Access(StrEnum):
    ALL = "all"
    OWN = "own"
    NO = "no"


_A, _O, _N = Access.ALL, Access.OWN, Access.NO


def _row(operator: Access, reviewer: Access, agent: Access, none: Access, telemetry: Access = _N) -> Mapping[str, Access]:
    # A telemetry sender gets nothing unless a row says so: it may send telemetry and do nothing else.
    return dict(zip(ROLE_CLASSES, (operator, reviewer, agent, none, telemetry), strict=True))


_EVERYONE = _row(_A, _A, _A, _A)
_VISIBLE = _row(_A, _A, _O, _O)
"""Operators and reviewers see every thread (they review them); agents and role-less keys only their own."""
_OWNERS = _row(_A, _O, _O, _O)
_OPERATORS = _row(_A, _N, _N, _N)
_HUMANS = _row(_A, _A, _N, _N)
"""Operators and reviewers: people who judge changes, not machine identities or role-less keys."""

POLICY: dict[tuple[str, str], Mapping[str, Access]] = {
    ("threads", "create"): _EVERYONE,
    ("threads", "read"): _VISIBLE,
    ("threads", "search"): _VISIBLE,
    ("threads", "create_run"): _VISIBLE,
    ("threads", "update"): _OWNERS,
    ("threads", "delete"): _OWNERS,
    ("assistants", "create"): _OPERATORS,
    ("assistants", "update"): _OPERATORS,
    ("assistants", "delete"): _OPERATORS,
    ("assistants", "read"): _EVERYONE,
    ("assistants", "search"): _EVERYONE,
    ("crons", "create"): _OWNERS,
    ("crons", "create_on_thread"): _OPERATORS,
    ("crons", "read"): _OWNERS,
    ("crons", "search"): _OWNERS,
    ("crons", "update"): _OWNERS,
    ("crons", "delete"): _OWNERS,
    ("store", "put"): _OWNERS,
    ("store", "get"): _OWNERS,
    ("store", "search"): _OWNERS,
    ("store", "delete"): _OWNERS,
    ("store", "list_namespaces"): _OWNERS,
    ("hud", "read"): _VISIBLE,
    ("hud_diagnostics", "read"): _OPERATORS,
    ("proof", "read"): _VISIBLE,
    ("projection", "read"): _VISIBLE,
    ("live_events", "read"): _VISIBLE,
    ("proposals", "read"): _VISIBLE,
    ("warehouse", "read"): _OPERATORS,
    ("evidence", "read"): _OPERATORS,
    ("server_meta", "read"): _EVERYONE,
    # Every key may ask who it is: that is how `fractalops login` checks a key before storing it.
    ("identity", "read"): _EVERYONE,
    # The Armory is what a run may bind (binding itself is checked per asset by `allowed_roles`); it holds secret
    # refs, never values, so every launcher may read it.
    ("armory", "read"): _EVERYONE,
    # Listing an MCP server's tools starts that server (with its secrets): people who judge tool calls may ask.
    ("armory_tools", "read"): _HUMANS,
    # Which credentials the server holds, and changing them, is operator business; values never leave the server.
    ("secrets", "read"): _OPERATORS,
    ("secrets", "write"): _OPERATORS,
    ("secrets", "delete"): _OPERATORS,
    # Reconciling the Armory with the backend reveals which refs are held, like `secrets.read`.
    ("connectors", "read"): _OPERATORS,
    # The graph holds every thread's lineage; reviewers need impact paths to judge a change, agents read it
    # in-process through their planes, role-less keys not at all.
    ("semantics", "read"): _HUMANS,
    # OTLP/HTTP intake (`/v1/traces`, `/v1/logs`, `/v1/metrics`): telemetry senders and operators, into the key's
    # project. PostHog intake (`/batch/`, `/capture/`, `/e/`, `/i/v0/e/`, `/flags/`) takes no API key: the project
    # key in its body is its authentication (server.surface.PUBLIC_INTAKE), so it has no row here.
    ("telemetry", "write"): _row(_A, _N, _N, _N, _A),
    # Intake counts, the quarantine and its raw payloads, and replaying it after a mapping was applied.
    ("telemetry", "read"): _OPERATORS,
    ("telemetry", "replay"): _OPERATORS,
    # Features aggregate every thread's proposals, approvals and failures (no payloads, no identities): reviewers
    # judge changes by them and operators run the squad; agents read theirs in-process, in their step's context.
    ("features", "read"): _HUMANS,
}
"""(resource, action) -> role class -> access. `threads.create_run` also covers resuming a waiting thread (how a
reviewer decides); binding an agent to an asset additionally needs one of the asset's `allowed_roles`.
`crons.create_on_thread` is a cron attached to an existing thread; everyone else's crons start a thread of their
own on every run."""

NOTES: dict[str, str] = {
    "threads": "owner stored on create; `if_exists` never returns another identity's thread",
    "assistants": "configs (bindings, packs) are changed only by operators",
    "crons": "a schedule firing more often than `FRACTALOPS_CRON_MIN_INTERVAL_S` is refused",
    "store": "non-operators are confined to namespaces under their own identity",
    "hud_diagnostics": "operator-only launch diagnostics",
    "warehouse": "read-only SQL over the warehouse's own tables",
    "evidence": "Chronicle verify (against its witnesses), entries and inclusion proofs",
    "server_meta": "`/info`, `/docs`, `/openapi.json`, `/metrics`, `/` (only `/ok` needs no key)",
    "identity": "`/whoami`: the presented key's identity and roles",
    "armory": "assets, bindings and kinds; secret refs only, never values",
    "armory_tools": "`/armory/{asset_id}/tools`: an MCP server's tools, read or mutate and why (connects to it)",
    "secrets": "values go in (request body) and never come out",
    "connectors": "Armory secret refs vs the backend",
    "semantics": "describe, impact paths, vocabulary check (read-only)",
    "telemetry": "OTLP intake into the key's project; counts, quarantine, replay (PostHog intake: project key in the body)",
    "features": "`/features/{agent}`: the FeaturePlane features an agent's steps read, with freshness",
}


def decide(principal: Principal, resource: str, action: str) -> Access:
    """The access `principal` has for `action` on `resource` (`no` for anything the table does not name)."""
    row = POLICY.get((resource, action))
    return row[principal.role_class] if row else Access.NO


def refusal_message(principal: Principal, resource: str, action: str) -> str:
    """Why `principal` is refused, naming who may (for a 403)."""
    row = POLICY.get((resource, action)) or {}
    allowed = [c for c in ROLE_CLASSES if row.get(c, Access.NO) is not Access.NO]
    who = ", ".join(allowed) if allowed else "nobody (no rule for it)"
    return f"{principal.identity} ({principal.role_class}) may not {action} {resource} on this server; allowed: {who}"


def render_policy_table() -> str:
    """The README's access table (markdown), from `POLICY`."""
    header = "| resource | action | " + " | ".join(ROLE_CLASSES) + " | notes |"
    lines = [header, "|" + "---|" * (len(ROLE_CLASSES) + 3)]
    seen: set[str] = set()
    for (resource, action), row in POLICY.items():
        note = NOTES.get(resource, "") if resource not in seen else ""
        seen.add(resource)
        lines.append(f"| {resource} | {action} | " + " | ".join(row[c] for c in ROLE_CLASSES) + f" | {note} |")
    return "\n".join(lines)
