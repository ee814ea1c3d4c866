"""The project's error taxonomy: one root, one subclass per failure family.

Every message says what was wrong, where, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "FractalOpsError",
    "ConfigError",
    "UnknownNameError",
    "ProposalError",
    "IllegalTransitionError",
    "StaleProposalError",
    "DecisionError",
    "AuthorityError",
    "SecretError",
    "AdapterError",
    "AccessBlockedError",
    "SemanticsError",
    "WarehouseError",
    "WarehouseOwnedError",
    "QueryRefusedError",
    "EvidenceError",
    "SecretNotFoundError",
    "AmbiguousNameError",
    "UnmappedTermError",
    "AdapterTimeoutError",
    "CatalogError",
    "IllegalPhaseError",
    "UnsafePathError",
    "TelemetryError",
    "TelemetryBodyError",
    "McpServerError",
    "McpCallRefusedError",
    "ModelRunError",
]


class FractalOpsError(Exception):
    """Root of every error the harness raises on purpose."""


class ConfigError(FractalOpsError):
    """Malformed configuration: a file, an env var, a run's `configurable`."""


class UnknownNameError(ConfigError):
    """A name (agent, pack, asset, role) that is not registered."""

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...], where: str = "") -> None:
        self.kind, self.name, self.valid = kind, name, sorted(valid)
        at = f" in {where}" if where else ""
        super().__init__(f"unknown {kind} {name!r}{at}; valid {kind}s: {', '.join(self.valid) or '(none)'}")


class ProposalError(FractalOpsError):
    """A proposal could not be created, found, or changed."""


class IllegalTransitionError(ProposalError):
    """A proposal lifecycle transition that the state machine forbids."""


class StaleProposalError(ProposalError):
    """The proposal's target moved past the base commit it was built on."""


class DecisionError(FractalOpsError):
    """A malformed or unauthorized HITL resume value; the thread stays interrupted."""


class AuthorityError(FractalOpsError):
    """An authority ceiling or approval rule refused the action."""


class SecretError(FractalOpsError):
    """A secret ref is malformed, unresolvable, or its backend is unreachable."""


class AdapterError(FractalOpsError):
    """A process or browser adapter failed to launch or run."""


class AccessBlockedError(AdapterError):
    """An adapter lacks an identity or credential; the route goes to `access_recovery`."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        self.missing = list(missing or [])
        super().__init__(message)


class SemanticsError(FractalOpsError):
    """Bad ontology input: malformed Turtle, SHACL violations, unmapped local terms."""


class WarehouseError(FractalOpsError):
    """The warehouse rejected a write or could not be reached."""


class EvidenceError(FractalOpsError):
    """The Chronicle log or artifact store is corrupt or refused a write."""


class SecretNotFoundError(SecretError):
    """A well-formed secret ref that the backend does not hold (`fractalops secrets put <ref>` fixes it)."""

    def __init__(self, ref: str, message: str = "") -> None:
        self.ref = ref
        super().__init__(message or f"secret {ref} not found; store it with `fractalops secrets put {ref}`")


class AmbiguousNameError(ConfigError):
    """A selector (e.g. an Armory role) that matches several registered names where exactly one is needed."""

    def __init__(self, kind: str, name: str, matches: list[str] | tuple[str, ...], where: str = "") -> None:
        self.kind, self.name, self.matches = kind, name, sorted(matches)
        at = f" in {where}" if where else ""
        super().__init__(
            f"ambiguous {kind} {name!r}{at}: it matches {', '.join(self.matches)}; name one of them exactly"
        )


class UnmappedTermError(SemanticsError):
    """A project-local term that has no `skos:exactMatch`/`skos:broadMatch` to the global ontology yet."""

    def __init__(self, term: str, project: str, message: str = "") -> None:
        self.term, self.project = term, project
        super().__init__(
            message
            or f"local term {term!r} of project {project!r} is not mapped to the global ontology; "
            f"propose a mapping with `TermMap.propose_mapping({term!r}, <global IRI>)` "
            f"(skos:exactMatch or skos:broadMatch) and apply it after approval"
        )


class WarehouseOwnedError(WarehouseError):
    """The embedded warehouse path is owned by another process or another path is open in this one."""

    def __init__(self, message: str, path: str = "", owner_pid: int | None = None) -> None:
        self.path, self.owner_pid = path, owner_pid
        super().__init__(message)


class QueryRefusedError(WarehouseError):
    """Operator SQL outside the read-only subset (one SELECT over the warehouse's own tables); nothing ran.

    `.construct` names what was refused: a statement (`INSERT`, `SYSTEM`), a clause (`SETTINGS`, `FORMAT`,
    `INTO OUTFILE`), `table function file`, `function dictGet`, `table system.users`, `multiple statements`,
    `unparsable SQL`.
    """

    def __init__(self, construct: str, detail: str = "", query: str = "") -> None:
        self.construct, self.detail, self.query = construct, detail, query
        why = f": {detail}" if detail else ""
        shown = " ".join(query.split())[:200]
        super().__init__(
            f"warehouse query refused, {construct} is not allowed{why}. Operator queries are a single SELECT "
            f"(or WITH … SELECT) over the warehouse tables; writes go through the typed API and "
            f"`fractalops warehouse migrate`" + (f" -- query: {shown}" if shown else "")
        )


class AdapterTimeoutError(AdapterError):
    """An adapter process hit its asset's timeout and was killed; `.run` holds the redacted partial run."""

    def __init__(self, message: str, run: object = None) -> None:
        self.run = run
        super().__init__(message)


class CatalogError(FractalOpsError):
    """The DataHub catalog output is malformed, or a DataHub GMS refused or could not be reached."""


class IllegalPhaseError(FractalOpsError):
    """A squad node set a phase its transitions do not allow (a bug in that node, never a user error)."""


class UnsafePathError(FractalOpsError):
    """A path no change may touch (see `fractalops.repo_paths`): outside the workspace, in `.git`, through a symlink,
    a symlink or gitlink, control characters. Raised before anything is written or recorded."""

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        super().__init__(message)


class TelemetryError(FractalOpsError):
    """Telemetry intake: a configuration, store or replay failure (events themselves are quarantined, not raised)."""


class TelemetryBodyError(TelemetryError):
    """A telemetry request body refused whole (nothing of it is stored): `.status` is the HTTP answer (400 undecodable,
    401 wrong or missing project key, 413 over the limit after decompression, 415 unsupported encoding or type)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class McpServerError(AdapterError):
    """An MCP server could not be reached, crashed, hung past its asset's timeout, or refused a request.

    `.outcome_unknown` is True when a tool call was sent and no answer came back: the server may have acted on it,
    so it is never sent again by itself (relay ends such a `tool_call` proposal `outcome_unknown`).
    """

    def __init__(self, message: str, asset_id: str = "", *, outcome_unknown: bool = False) -> None:
        self.asset_id = asset_id
        self.outcome_unknown = outcome_unknown
        super().__init__(message)


class McpCallRefusedError(McpServerError):
    """An approved tool call that was not sent: the server no longer offers the tool, or its input schema refuses the
    (edited) arguments. The call can never run as approved; nothing reached the server."""


class ModelRunError(AdapterError):
    """A model-backed run stopped before it finished: its budget (`max_steps`, `max_output_tokens`) ran out, it hit
    `timeout_s`, or the model or its endpoint failed. `.reason` is `budget`, `timeout` or `model_error`; the message
    is already redacted and says what to change. Nothing the run did is applied."""

    def __init__(self, message: str, reason: str) -> None:
        self.reason = reason
        super().__init__(message)
