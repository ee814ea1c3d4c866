"""`fractalops-steward.yaml`: project name, SQL platform, owners, descriptions, terms, local term mappings.

Not public API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from fractalops.errors import SemanticsError
from fractalops.planes.semantics.terms import parse_local_terms

__all__ = ["STEWARD_FILE", "StewardConfig", "load_config"]

STEWARD_FILE = "fractalops-steward.yaml"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class StewardConfig:
    project: str
    platform: str = "sql"
    owners: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    terms: dict[str, list[str]] = field(default_factory=dict)
    """`dataset` or `dataset.field` → terms (global names/IRIs or local terms)."""
    local_terms: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)


def _str_list(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise SemanticsError(f"{where} must be a string or a list of strings, got {value!r}")


def load_config(project_dir: Path) -> StewardConfig:
    path = project_dir / STEWARD_FILE
    if not path.exists():
        return StewardConfig(project=project_dir.resolve().name)
    where = str(path)
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise SemanticsError(f"malformed YAML in {where}{line}: {exc}; fix it and run the steward again") from None
    if not isinstance(data, dict):
        raise SemanticsError(f"{where} must be a mapping (project, platform, owners, terms, local_terms)")
    known = {"project", "platform", "owners", "descriptions", "terms", "local_terms", "exclude"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SemanticsError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(known)}")
    for key in ("owners", "descriptions", "terms"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise SemanticsError(f"{where}: `{key}` must be a mapping of dataset → values")
    return StewardConfig(
        project=str(data.get("project") or project_dir.resolve().name),
        platform=str(data.get("platform") or "sql"),
        owners={str(k): _str_list(v, f"{where}: owners.{k}") for k, v in (data.get("owners") or {}).items()},
        descriptions={str(k): str(v) for k, v in (data.get("descriptions") or {}).items()},
        terms={str(k): _str_list(v, f"{where}: terms.{k}") for k, v in (data.get("terms") or {}).items()},
        local_terms=parse_local_terms(data.get("local_terms"), where),
        exclude=_str_list(data.get("exclude") or [], f"{where}: exclude"),
    )
