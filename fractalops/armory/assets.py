"""Runtime assets and the Armory file: which process an agent runs as, with what env, secrets and ceiling.

The Armory is YAML (`FRACTALOPS_ARMORY`, default the packaged `fractalops/armory/armory.yaml`)::

    assets:
      - asset_id: workspace.default
        role: builder
        kind: workspace_cli
        command: ["{python}", "-m", "fractalops.adapters.write_changes", "{task_file}"]
        ceiling: standard
    bindings:
      forge: workspace.default      # agent -> asset_id or role

A selector resolves to the asset with that exact `asset_id`, else to the only asset with that `role`.
Unknown or ambiguous selectors and duplicate asset_ids fail when the file loads (file bindings) or when a
run binds (`configurable.bindings`). Agents with no binding run `native` (in-process, implicit asset).
An `mcp_server` asset (see `fractalops.armory.mcp_server`) is a model's tool source, never an agent's binding.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fractalops.armory.classes import ApprovalClass
from fractalops.armory.mcp_server import (
    DEFAULT_TIMEOUT_S,
    MCP_SERVER,
    McpTransport,
    check_mcp_fields,
    check_tool_references,
    declared_class,
)
from fractalops.armory.secrets.refs import SecretRef, parse_secret_ref
from fractalops.errors import AmbiguousNameError, ConfigError, SecretError, UnknownNameError
from fractalops.identity import ROLES

__all__ = [
    "ARMORY_ENV",
    "DEFAULT_ARMORY_PATH",
    "NATIVE_ASSET",
    "AssetKind",
    "BUILDS_FROM_INTENT",
    "WorkdirPolicy",
    "RuntimeAsset",
    "Armory",
    "armory_path",
    "load_armory",
]

ARMORY_ENV = "FRACTALOPS_ARMORY"
DEFAULT_ARMORY_PATH = Path(__file__).with_name("armory.yaml")
AssetKind = Literal["native", "codex", "claude", "zai", "workspace_cli", "browser", "chat_model", "mcp_server"]
BUILDS_FROM_INTENT: frozenset[str] = frozenset({"codex", "claude", "zai", "chat_model"})
"""Kinds that can build a change from the intent alone (a model or a CLI agent); the others need `changes`."""
_MODEL_FIELDS = ("model", "base_url", "max_steps", "max_output_tokens")  # `tools`: checked by check_mcp_fields
_MODEL_ID = re.compile(r"^[A-Za-z0-9_-]+:\S+$")
WorkdirPolicy = Literal["isolated_worktree", "isolated_copy"]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RuntimeAsset(BaseModel):
    """One runnable thing an agent can be bound to: a process adapter plus its launch contract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Unique id, e.g. `codex.default`; the most specific binding selector."""
    role: str = Field(default="", pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]*)?$")
    """What the asset is for, e.g. `builder`; a binding by role needs exactly one asset with that role. Required
    for every kind but `mcp_server` (a tool source, never bound to an agent)."""
    kind: AssetKind
    """Adapter kind: `native`, `codex`, `claude`, `zai`, `workspace_cli`, `browser`, `chat_model` or `mcp_server`."""
    command: list[str] = Field(default_factory=list)
    """argv template; `{python}`, `{task_file}`, `{workdir}`… are filled by the adapter. Empty for `native`."""
    env: dict[str, str] = Field(default_factory=dict)
    """Plain, non-secret environment values (e.g. `ANTHROPIC_BASE_URL`). Never a secret or a secret ref."""
    secrets: dict[str, str] = Field(default_factory=dict)
    """Env name → `openbao://<mount>/<path>#<field>` ref, resolved only at the adapter boundary. A `chat_model`
    takes exactly one, `api_key`, handed to the provider client at the call boundary and nowhere else."""
    model: str = ""
    """`chat_model` only: an `init_chat_model` id `provider:model` (e.g. `openai:gpt-4.1-mini`)."""
    base_url: str = ""
    """`chat_model` only: an OpenAI- or Anthropic-compatible endpoint instead of the provider's default."""
    max_steps: int = Field(default=40, gt=0)
    """`chat_model` only: model calls one run may make (the tool-loop budget)."""
    max_output_tokens: int = Field(default=200_000, gt=0)
    """`chat_model` only: provider-reported output tokens one run may spend, over all its model calls."""
    timeout_s: float = Field(default=900.0, gt=0)
    """Wall-clock limit for one launch; the adapter kills the process group after it."""
    output_cap_bytes: int = Field(default=4_000_000, gt=0)
    """Most bytes of stdout+stderr kept from one launch; the rest is dropped and reported as truncated."""
    ceiling: ApprovalClass = ApprovalClass.STANDARD
    """Highest approval class this asset may propose; a proposal above it is refused, never downgraded."""
    workdir: WorkdirPolicy = "isolated_worktree"
    """Working-dir policy: a fresh git worktree (default) or a plain copy of the workspace."""
    env_allow: list[str] = Field(default_factory=lambda: ["PATH", "LANG", "LC_ALL", "HOME", "TMPDIR"])
    """Host env var names passed through the scrubbed environment; everything else is dropped."""
    description: str = ""
    """One line for operators."""
    allowed_roles: list[str] = Field(default_factory=lambda: ["operator"])
    """Roles whose runs may bind an agent to this asset by name (`*`: any authenticated identity). The Armory's own
    default `bindings` need no role; the server refuses a run naming an asset the caller's roles may not bind."""
    transport: McpTransport | None = None
    """`mcp_server` only: `stdio` (the Armory starts `command` with `env` and resolved `secrets`) or
    `streamable_http` (the server runs elsewhere, at `url`)."""
    url: str = ""
    """`mcp_server` with transport `streamable_http` only: the endpoint, e.g. `http://127.0.0.1:8931/mcp`."""
    tools: list[str] | dict[str, str] = Field(default_factory=dict)
    """`mcp_server`: optional tool name → `read` | `mutate`, overriding the server's annotations. `chat_model`: the
    `mcp_server` asset ids whose tools the model may use."""
    approval_class: dict[str, ApprovalClass] = Field(default_factory=dict)
    """`mcp_server` only: tool name → class of its `tool_call` proposals, above the default standard (raises only)."""
    tool_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$")
    """`mcp_server` only: prepended to each tool's name as the model sees it (two servers may then share names);
    the call the server gets, and the gate's `args.tool`, keep the tool's own name."""

    @model_validator(mode="before")
    @classmethod
    def _mcp_timeout(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == MCP_SERVER and "timeout_s" not in data:
            return {**data, "timeout_s": DEFAULT_TIMEOUT_S}
        return data

    @field_validator("env", "secrets", mode="after")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid environment variable name")
        return value

    @field_validator("env_allow", mode="after")
    @classmethod
    def _allow_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid environment variable name")
        return value

    @field_validator("allowed_roles", mode="after")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r != "*" and r not in ROLES]
        if unknown:
            raise ValueError(f"allowed_roles {unknown} are not roles; valid: *, {', '.join(ROLES)}")
        return value

    @field_validator("env", mode="after")
    @classmethod
    def _env_is_plain(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if text.startswith("openbao://"):
                raise ValueError(f"env {name} holds a secret ref; move it to `secrets:`")
        return value

    @field_validator("secrets", mode="after")
    @classmethod
    def _secret_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            try:
                parse_secret_ref(text)
            except SecretError as exc:
                raise ValueError(f"secrets.{name}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _no_overlap(self) -> RuntimeAsset:
        both = sorted(set(self.env) & set(self.secrets))
        if both:
            raise ValueError(f"{', '.join(both)} set in both `env` and `secrets`; keep one")
        if self.kind == "workspace_cli" and not self.command:
            raise ValueError("a workspace_cli asset needs a `command`")
        if not self.role and self.kind != MCP_SERVER:
            raise ValueError("role: a role is required (e.g. `builder`); only mcp_server assets may leave it out")
        if self.kind == "chat_model":
            self._check_chat_model()
        else:
            given = [name for name in _MODEL_FIELDS if name in self.model_fields_set]
            if given:
                raise ValueError(f"{', '.join(given)} only apply to kind chat_model, not {self.kind}")
        check_mcp_fields(self)
        return self

    def _check_chat_model(self) -> None:
        if not _MODEL_ID.match(self.model):
            raise ValueError(f"model {self.model!r} must be an init_chat_model id `provider:model` "
                             "(e.g. `openai:gpt-4.1-mini`, `anthropic:claude-sonnet-4-5`)")
        extra = sorted(set(self.secrets) - {"api_key"})
        if extra:
            raise ValueError(f"a chat_model takes one secret, `api_key`; {', '.join(extra)} is not one")
        if self.command:
            raise ValueError("a chat_model runs in-process and takes no `command`")
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {self.base_url!r} must be an http(s) URL")

    @property
    def builds_from_intent(self) -> bool:
        """Whether forge on this asset can build a change from the intent alone (no `changes` sent)."""
        return self.kind in BUILDS_FROM_INTENT

    def may_be_bound_by(self, roles: frozenset[str] | set[str]) -> bool:
        """Whether a run launched with these roles may name this asset in its bindings."""
        return "*" in self.allowed_roles or bool(set(self.allowed_roles) & set(roles))

    def secret_refs(self) -> list[SecretRef]:
        """The parsed refs this asset declares, sorted."""
        return sorted(parse_secret_ref(text) for text in self.secrets.values())


NATIVE_ASSET = RuntimeAsset(
    asset_id="native",
    role="native",
    kind="native",
    ceiling="standard",
    env_allow=[],
    allowed_roles=["*"],
    description="implicit in-process asset for agents with no binding",
)
"""The asset an agent runs as when neither the run nor the Armory binds it."""


class Armory(BaseModel):
    """A loaded, validated Armory file: assets and default agent bindings."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    assets: tuple[RuntimeAsset, ...]
    """Every declared asset, in file order; asset_ids are unique."""
    bindings: dict[str, str]
    """Default agent → selector (asset_id or role), already checked to resolve to exactly one asset."""
    source: Path
    """The file this Armory was loaded from (named in every error)."""

    def asset_ids(self) -> list[str]:
        return [asset.asset_id for asset in self.assets]

    def mcp_servers(self) -> list[RuntimeAsset]:
        """The `mcp_server` assets, in file order."""
        return [asset for asset in self.assets if asset.kind == MCP_SERVER]

    def declared_class(self, kind: str, payload: Mapping[str, Any]) -> str | None:
        """The class this Armory declares for a proposal (a `tool_call`'s `approval_class`), for the constitution."""
        return declared_class(self.assets, kind, payload)

    def asset(self, asset_id: str) -> RuntimeAsset:
        """The asset with exactly this id; `UnknownNameError` listing the valid ids otherwise."""
        for asset in self.assets:
            if asset.asset_id == asset_id:
                return asset
        if asset_id == NATIVE_ASSET.asset_id:
            return NATIVE_ASSET
        raise UnknownNameError("asset_id", asset_id, self.asset_ids(), where=str(self.source))

    def selectors(self) -> list[str]:
        """Every valid selector: asset_ids, roles held by exactly one asset, and `native`."""
        roles = [asset.role for asset in self.assets if asset.role]
        unique_roles = {role for role in roles if roles.count(role) == 1}
        return sorted(set(self.asset_ids()) | unique_roles | {NATIVE_ASSET.asset_id})

    def resolve(self, selector: str, where: str = "") -> RuntimeAsset:
        """Exact asset_id first, then the single asset with that role, then the implicit `native`."""
        if not isinstance(selector, str) or not selector:
            raise ConfigError(f"binding selector in {where or self.source} must be a non-empty string, "
                              f"got {selector!r}; valid selectors: {', '.join(self.selectors())}")
        for asset in self.assets:
            if asset.asset_id == selector:
                return asset
        by_role = [asset for asset in self.assets if asset.role and asset.role == selector]
        if len(by_role) == 1:
            return by_role[0]
        if by_role:
            raise AmbiguousNameError(
                "role", selector, [a.asset_id for a in by_role],
                where=f"{where or self.source} (bind an exact asset_id instead)",
            )
        if selector == NATIVE_ASSET.asset_id:
            return NATIVE_ASSET
        raise UnknownNameError("binding selector", selector, self.selectors(), where=where or str(self.source))

    def bind(self, agent: str, selector: str | None = None) -> RuntimeAsset:
        """The asset for `agent`: the run's selector if given, else the Armory default, else `native`."""
        if selector is not None:
            where = f"configurable.bindings[{agent!r}]"
        elif (selector := self.bindings.get(agent)) is not None:
            where = f"{self.source}: bindings.{agent}"
        else:
            return NATIVE_ASSET
        asset = self.resolve(selector, where=where)
        if asset.kind == MCP_SERVER:
            raise ConfigError(f"{where}: {asset.asset_id!r} is an mcp_server, a source of tools for a chat_model "
                              f"asset (list it in that asset's `tools:`), not something {agent!r} can run as")
        return asset

    def bindings_for(self, run_bindings: Mapping[str, Any] | None) -> dict[str, RuntimeAsset]:
        """Agent → asset for the Armory defaults overlaid with a run's `configurable.bindings`.

        Every run selector is checked before anything is returned; several bad selectors raise one
        `ConfigError` naming all of them (`.errors` holds each). Agents not listed run `native`.
        """
        if run_bindings is None:
            run_bindings = {}
        if not isinstance(run_bindings, Mapping):
            raise ConfigError(f"configurable.bindings must be a mapping of agent -> asset_id or role, "
                              f"got {type(run_bindings).__name__}")
        resolved = {agent: self.bind(agent) for agent in self.bindings}
        errors: list[ConfigError] = []
        for agent, selector in run_bindings.items():
            try:
                if not isinstance(agent, str) or not agent:
                    raise ConfigError(f"configurable.bindings has a non-string agent name {agent!r}")
                resolved[agent] = self.bind(agent, selector)
            except ConfigError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            err = ConfigError(f"{len(errors)} bad entries in configurable.bindings: "
                              + "; ".join(str(e) for e in errors))
            err.errors = errors  # type: ignore[attr-defined]
            raise err
        return resolved


def armory_path(path: Path | str | None = None) -> Path:
    """`path`, else `FRACTALOPS_ARMORY`, else the packaged default file."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ARMORY_ENV, "").strip()
    return Path(env).expanduser() if env else DEFAULT_ARMORY_PATH


def _entry_name(index: int, raw: Any) -> str:
    asset_id = raw.get("asset_id") if isinstance(raw, dict) else None
    return f"assets[{index}]" + (f" (asset_id {asset_id!r})" if asset_id else "")


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _parse_assets(source: Path, raw_assets: Any) -> tuple[RuntimeAsset, ...]:
    if not isinstance(raw_assets, list):
        raise ConfigError(f"armory file {source}: `assets` must be a list of asset entries, "
                          f"got {type(raw_assets).__name__}")
    assets: list[RuntimeAsset] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_assets):
        where = _entry_name(index, raw)
        if not isinstance(raw, dict):
            raise ConfigError(f"armory file {source}: {where} must be a mapping, got {type(raw).__name__}")
        try:
            asset = RuntimeAsset.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"armory file {source}: {where} is invalid: {_validation_message(exc)}") from None
        if asset.asset_id in first_index:
            raise ConfigError(f"armory file {source}: {where} duplicates asset_id {asset.asset_id!r} first "
                              f"declared at assets[{first_index[asset.asset_id]}]; asset_ids must be unique")
        if asset.asset_id == NATIVE_ASSET.asset_id and asset.kind != "native":
            raise ConfigError(f"armory file {source}: {where}: asset_id 'native' is reserved for kind native")
        first_index[asset.asset_id] = index
        assets.append(asset)
    return tuple(assets)


def load_armory(path: Path | str | None = None) -> Armory:
    """Load and validate the Armory file; every error names the file and the entry."""
    source = armory_path(path).resolve()
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"armory file {source} cannot be read ({exc.strerror or exc}); set {ARMORY_ENV} to "
                          f"an existing file or unset it to use {DEFAULT_ARMORY_PATH}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"armory file {source} is not valid YAML{at}: {problem}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(f"armory file {source}: top level must be a mapping with `assets` and `bindings`")
    unknown = sorted(set(doc) - {"assets", "bindings", "version"})
    if unknown:
        raise ConfigError(f"armory file {source}: unknown top-level keys {unknown}; "
                          "valid keys: assets, bindings, version")
    assets = _parse_assets(source, doc.get("assets") or [])
    raw_bindings = doc.get("bindings") or {}
    if not isinstance(raw_bindings, dict):
        raise ConfigError(f"armory file {source}: `bindings` must map agent -> asset_id or role")
    bindings: dict[str, str] = {}
    for agent, selector in raw_bindings.items():
        if not isinstance(selector, str):
            raise ConfigError(f"armory file {source}: bindings.{agent} must be an asset_id or role string, "
                              f"got {selector!r}")
        bindings[str(agent)] = selector
    check_tool_references(source, assets)
    armory = Armory(assets=assets, bindings=bindings, source=source)
    for agent in bindings:
        armory.bind(agent)  # unknown/ambiguous file bindings fail at load, naming file and agent
    return armory
