"""Who is acting: identities and roles from the LangGraph auth user, shared by the gate and the server."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Principal", "ROLES", "ROLE_CLASSES", "DEFAULT_PROJECT", "PROJECT_NAME", "is_project_name", "principal_from_config", "principal_from_user"]

ROLES = ("operator", "approver", "owner", "security", "agent", "telemetry")
"""`operator` sees every thread and the HUD diagnostics; `approver` decides standard and elevated proposals;
`owner` and `security` are the humans the constitution requires for `restricted` ones; `agent` is a machine identity;
`telemetry` is a telemetry sender (an OTel SDK or collector) that may send telemetry and nothing else."""

ROLE_CLASSES = ("operator", "reviewer", "agent", "none", "telemetry")
"""How the server's access table groups identities: `agent` whenever the key holds the agent role and `telemetry`
whenever it holds the telemetry role (a machine identity never gets a human's reach), else `operator`, else
`reviewer` (approver, owner or security), else `none`."""

DEFAULT_PROJECT = "default"
"""The project telemetry lands in when the sender's key names none."""

PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
"""What a project name may be (it becomes a warehouse column value and part of the project's IRI)."""


def is_project_name(value: object) -> bool:
    """True for a usable project name: letters, digits, `_`, `.`, `-`, at most 128 characters."""
    return isinstance(value, str) and bool(PROJECT_NAME.match(value))


@dataclass(frozen=True)
class Principal:
    identity: str
    roles: frozenset[str]
    project: str = ""
    """The project the key belongs to (`"project"` in its key entry), empty when it names none."""

    @property
    def is_agent(self) -> bool:
        return "agent" in self.roles

    @property
    def is_telemetry_sender(self) -> bool:
        """A key holding the `telemetry` role: it may send telemetry and do nothing else."""
        return "telemetry" in self.roles

    @property
    def telemetry_project(self) -> str:
        """The project this identity's telemetry lands in (`default` when its key names none)."""
        return self.project or DEFAULT_PROJECT

    @property
    def role_class(self) -> str:
        """One of `ROLE_CLASSES`: the column of the server's access table this identity falls in."""
        if self.is_agent:
            return "agent"
        if self.is_telemetry_sender:
            return "telemetry"
        if "operator" in self.roles:
            return "operator"
        return "reviewer" if {"approver", "owner", "security"} & self.roles else "none"

    @property
    def sees_all_threads(self) -> bool:
        """Operators and human reviewers see every thread (they review them); others only the threads they own."""
        return self.role_class in {"operator", "reviewer"}

    def can_approve(self) -> bool:
        """Only a human approver decides; an identity that is also an agent never does."""
        return bool({"approver", "owner", "security"} & self.roles) and not (self.is_agent or self.is_telemetry_sender)


def principal_from_user(user: Any, permissions: Any = None) -> Principal | None:
    """Read a LangGraph auth user (dict, DotDict or BaseUser proxy) into a `Principal`."""
    if user is None:
        return None
    identity = user.get("identity") if isinstance(user, Mapping) else getattr(user, "identity", None)
    if not identity:
        return None
    roles: Any = None
    if isinstance(user, Mapping):
        roles = user.get("roles")
    else:
        try:
            roles = user["roles"]
        except (KeyError, TypeError, AttributeError):
            roles = getattr(user, "roles", None)
    if roles is None:
        roles = permissions or []
    project = _field(user, "project")
    return Principal(identity=str(identity), roles=frozenset(str(r) for r in roles),
                     project=project if isinstance(project, str) else "")


def _field(user: Any, name: str) -> Any:
    if isinstance(user, Mapping):
        return user.get(name)
    try:
        return user[name]
    except (KeyError, TypeError, AttributeError):
        return getattr(user, name, None)


def principal_from_config(config: Mapping[str, Any] | None) -> Principal | None:
    """The authenticated user of the current run, as the LangGraph server puts it in `configurable`."""
    configurable = (config or {}).get("configurable", {}) or {}
    return principal_from_user(
        configurable.get("langgraph_auth_user"), configurable.get("langgraph_auth_permissions")
    )
