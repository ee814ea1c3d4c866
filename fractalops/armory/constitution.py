"""The constitution: approval classes, authority ceilings and approval rules, as Rego run in-process.

The rules live in `fractalops/armory/policy/*.rego` (`package fractalops.constitution`, `import rego.v1`) and
are evaluated with `regopy`; the same files run unchanged on an OPA server (`POST /v1/data/fractalops/
constitution/<rule>` with `{"input": ...}`). Classes, lowest to highest: `routine` (a recorded policy
decision, no human), `standard` (1 human), `elevated` (2 distinct humans), `restricted` (2 distinct
humans with role owner/security; agents may not even propose).

Decision inputs and outputs (plain JSON):

`approval_class` — input ``{"proposal": {"kind": str, "target": str, "files": [str], "risk": str?,
"declared_class": str?}}``;
output one of the class names. Rules: kinds `constitution_change`, `secret_rotation`, `access_grant` →
restricted; `infra_change`, `deploy`, `dependency_change` → elevated; files under `.github/`, `infra/`,
`deploy/`, CI/build files, secret-ish names, `*.rego`, `armory.yaml` or `fractalops/armory/`, absolute or
`..` paths, paths or targets holding a control character, `"` or `\\`, or a target naming
prod/infra/secrets/constitution as a word → at least elevated (target and paths are NFKC-folded first);
`workspace_patch`/`docs_patch` touching only docs/tests/markdown → routine; everything else (`workspace_patch`, `ontology_mapping`, …)
→ standard (a `tool_call` too). `risk` (low/medium/high/critical or a class name) only ever raises; unknown risk →
elevated. `declared_class` (what the Armory declares for the action, e.g. an MCP tool's `approval_class`) only ever
raises; anything but a class name → elevated.

`author_decision` — input ``{"proposal": {...}, "author": {"ceiling": <class>, "principal_kind":
"agent"|"human"}}``; output ``{"allowed": bool, "reason": str, "approval_class": str, "ceiling": str,
"required": int}``. A class above the ceiling is refused (never downgraded); a non-human may not propose
`restricted`.

`approval_decision` — input ``{"approval_class": str, "author_principal": str, "author_agent": str?,
"requester": str?, "editors": [str]?, "approvers": [{"identity": str, "role": str, "principal_kind": "human"?}]}``;
output ``{"allowed": bool, "reason": str, "approval_class": str, "required": int, "missing": int, "approvers":
[identity], "rejected": [{"identity", "role", "why"}]}``. An approver entry may carry `roles: [..]` instead of/besides
`role`. Approvers count once per distinct identity; the author (its principal or agent id), every editor (an editor
counts as an author of what it edited, for every later hash), any identity listed with role `agent` (in any entry),
any `agent:` identity or non-human principal never counts. The requester (who launched the run) may be the one
approver of a standard proposal and one of the two of an elevated one, whose other approver must be neither the
requester nor an editor; a restricted proposal counts only humans who are none of these. A requester that is not a
string, or editors that are not a list of strings, allow nothing (`cannot judge the approvers`). Roles:
standard ← approver/reviewer/maintainer/owner/security; elevated ← approver/maintainer/owner/security;
restricted ← owner/security (see `policy/classes.rego`).
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regopy

from fractalops.armory.classes import APPROVAL_CLASSES
from fractalops.errors import ConfigError

__all__ = ["DEFAULT_POLICY_DIR", "PACKAGE", "ENTRYPOINTS", "Decision", "Constitution", "policy_input"]

DEFAULT_POLICY_DIR = Path(__file__).with_name("policy")
PACKAGE = "data.fractalops.constitution"
ENTRYPOINTS = ("approval_class", "author_decision", "approval_decision")
"""The rules the harness queries (OPA: `POST /v1/data/fractalops/constitution/<rule>`)."""
_ENTRYPOINT_PREFIX = "fractalops/constitution"
_PROPOSAL_KEYS = ("kind", "target", "files", "risk", "declared_class")


@dataclass(frozen=True)
class Decision:
    """One constitution decision, as returned by the policy."""

    allowed: bool
    """Whether the action may proceed."""
    reason: str
    """Why, in one sentence fit for an operator or an interrupt payload."""
    approval_class: str
    """The class the decision was made for."""
    required: int = 0
    """Distinct eligible human approvals the class needs (0 for routine)."""
    missing: int = 0
    """How many more are needed (approval checks only)."""
    approvers: tuple[str, ...] = ()
    """Identities that counted towards `required` (approval checks only)."""
    rejected: tuple[tuple[str, str, str], ...] = ()
    """(identity, role, why) for every approver that did not count."""
    detail: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """The raw policy output document."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for state, interrupts and evidence (no `detail`)."""
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "approval_class": self.approval_class,
            "required": self.required,
            "missing": self.missing,
            "approvers": list(self.approvers),
            "rejected": [{"identity": i, "role": r, "why": w} for i, r, w in self.rejected],
        }


def _file_path(item: Any) -> Any:
    if isinstance(item, Mapping) and "path" in item:
        return item["path"]
    return item


def policy_input(proposal: Mapping[str, Any] | Any) -> dict[str, Any]:
    """The `proposal` part of a policy input: kind, target, files (paths), risk and declared class; nothing else."""
    if hasattr(proposal, "model_dump"):
        proposal = proposal.model_dump(mode="json")
    if not isinstance(proposal, Mapping):
        raise ConfigError(f"a proposal for the constitution must be a mapping, got {type(proposal).__name__}")
    out: dict[str, Any] = {key: proposal[key] for key in _PROPOSAL_KEYS if key in proposal}
    files = out.get("files")
    if isinstance(files, list | tuple):
        out["files"] = [_fold(_file_path(item)) for item in files]
    if "target" in out:
        out["target"] = _fold(out["target"])
    return out


_DOTTED_CAPITAL_I = {0x130: "I"}  # Go's `lower` maps U+0130 to ASCII `i`; rego-cpp's ASCII-only `lower` does not


def _fold(value: Any) -> Any:
    """Compatibility forms folded (fullwidth `ｉｎｆｒａ/`, the Kelvin sign in `K8s/`, `İnfra/`) so that every
    engine's `lower` sees the ASCII letters they stand for (the stricter reading)."""
    return unicodedata.normalize("NFKC", value).translate(_DOTTED_CAPITAL_I) if isinstance(value, str) else value


class Constitution:
    """A compiled policy bundle held in one `regopy.Interpreter`, guarded by a lock (thread-safe)."""

    def __init__(self, interpreter: regopy.Interpreter, policy_dir: Path, modules: tuple[str, ...]) -> None:
        self._rego = interpreter
        try:
            # Compile once: a plain `query()` re-runs the whole compiler per decision (~15x slower).
            self._bundle = interpreter.build(None, [f"{_ENTRYPOINT_PREFIX}/{rule}" for rule in ENTRYPOINTS])
        except regopy.RegoError as exc:
            raise ConfigError(f"constitution policy in {policy_dir} failed to compile: {exc}") from None
        if not self._bundle.ok():
            raise ConfigError(f"constitution policy in {policy_dir} failed to compile")
        self._lock = threading.Lock()
        self.policy_dir = policy_dir
        """Where the `.rego` files were read from."""
        self.modules = modules
        """File names of the loaded modules."""

    def __repr__(self) -> str:
        return f"Constitution(policy_dir={str(self.policy_dir)!r}, modules={list(self.modules)!r})"

    @classmethod
    def load(cls, policy_dir: Path | str | None = None) -> Constitution:
        """Compile every `*.rego` in `policy_dir` (default: the packaged policy); `ConfigError` if broken."""
        directory = Path(policy_dir) if policy_dir is not None else DEFAULT_POLICY_DIR
        files = sorted(directory.glob("*.rego"))
        if not files:
            raise ConfigError(f"constitution policy dir {directory} has no .rego files")
        interpreter = regopy.Interpreter()
        for path in files:
            try:
                interpreter.add_module(path.name, path.read_text(encoding="utf-8"))
            except regopy.RegoError as exc:
                raise ConfigError(f"constitution policy {path} failed to load: {exc}") from None
        constitution = cls(interpreter, directory, tuple(p.name for p in files))
        # rego-cpp compiles lazily: evaluate every entrypoint once so a broken policy fails here.
        constitution.classify({"kind": "workspace_patch", "files": ["README.md"]})
        constitution.check_approval("standard", "agent:forge", [])
        return constitution

    def _query(self, rule: str, document: dict[str, Any]) -> Any:
        # Raw UTF-8, not \u escapes: rego-cpp keeps a string's JSON escapes as literal text (so "pr\u00e9prod"
        # would lose its word boundary). The characters JSON must escape (controls, `"`, `\`) are elevated by
        # classify.rego's `unusual_text`, which matches both the raw character and its escape.
        term = json.dumps(document, default=str, ensure_ascii=False)
        with self._lock:  # one interpreter: input and evaluation must not interleave across threads
            try:
                self._rego.set_input_term(term)
                output = self._rego.query_bundle_entrypoint(self._bundle, f"{_ENTRYPOINT_PREFIX}/{rule}")
            except regopy.RegoError as exc:
                raise ConfigError(f"constitution policy in {self.policy_dir} failed on {rule}: {exc}") from None
            if not output.ok():
                raise ConfigError(f"constitution policy in {self.policy_dir} failed on {rule}: {output}")
            expressions = output[0].expressions if len(output) else []
            if not expressions:
                raise ConfigError(f"constitution policy in {self.policy_dir}: {rule} is undefined for this input")
            return expressions[0]

    def classify(self, proposal: Mapping[str, Any] | Any) -> str:
        """The approval class of a proposal (see the module docstring for the rules)."""
        value = self._query("approval_class", {"proposal": policy_input(proposal)})
        if value not in APPROVAL_CLASSES:
            raise ConfigError(f"constitution policy in {self.policy_dir} returned unknown class {value!r}")
        return value

    def check_author(self, proposal: Mapping[str, Any] | Any, ceiling: str, principal_kind: str) -> Decision:
        """May an author with this ceiling and principal kind (`agent`|`human`) propose this proposal?"""
        doc = self._query(
            "author_decision",
            {"proposal": policy_input(proposal), "author": {"ceiling": ceiling, "principal_kind": principal_kind}},
        )
        return Decision(
            allowed=doc["allowed"] is True,
            reason=doc["reason"],
            approval_class=doc["approval_class"],
            required=int(doc.get("required", 0)),
            detail=doc,
        )

    def check_approval(
        self,
        approval_class: str,
        author_principal: str,
        approvers: list[Mapping[str, Any]],
        author_agent: str | None = None,
        *,
        requester: str | None = None,
        editors: list[str] | tuple[str, ...] | None = None,
    ) -> Decision:
        """Do `approvers` (`[{"identity", "role"}]`) satisfy `approval_class` for a proposal by this author, launched
        by `requester` and edited by `editors` (in order)?"""
        document: dict[str, Any] = {
            "approval_class": approval_class,
            "author_principal": author_principal,
            "approvers": [dict(a) if isinstance(a, Mapping) else a for a in approvers],
        }
        if author_agent:
            document["author_agent"] = author_agent
        if requester is not None:
            document["requester"] = requester
        if editors is not None:  # anything but a list is sent as is: the policy then refuses to judge
            document["editors"] = list(editors) if isinstance(editors, list | tuple) else editors
        doc = self._query("approval_decision", document)
        return Decision(
            allowed=doc["allowed"] is True,
            reason=doc["reason"],
            approval_class=doc["approval_class"],
            required=int(doc["required"]),
            missing=int(doc["missing"]),
            approvers=tuple(doc["approvers"]),
            rejected=tuple(sorted((r["identity"], r["role"], r["why"]) for r in doc["rejected"])),
            detail=doc,
        )
