from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own data dir and no ambient Armory/OpenBao configuration."""
    data = tmp_path / "data"
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(data))
    monkeypatch.delenv("FRACTALOPS_ARMORY", raising=False)
    return data


@pytest.fixture
def write_armory(tmp_path: Path) -> Callable[..., Path]:
    """Write an Armory YAML file (from a dict or raw text) and return its path."""

    def write(doc: dict | str, name: str = "armory.yaml") -> Path:
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    return write


def asset(asset_id: str, role: str, kind: str = "codex", **extra: object) -> dict:
    return {"asset_id": asset_id, "role": role, "kind": kind, "command": ["tool", "{prompt}"], **extra}
