"""`fractalops adapters` through the real root CLI app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fractalops.cli.main import app


def test_kinds_json() -> None:
    out = CliRunner().invoke(app, ["adapters", "kinds", "--json"])
    assert out.exit_code == 0
    assert {"workspace_cli", "codex", "claude", "zai"} <= set(json.loads(out.stdout)["kinds"])


def test_run_default_builder_json(tmp_path: Path, target_repo: Path, git_cmd) -> None:
    content = tmp_path / "content.txt"
    content.write_text("from the cli\n")
    out = CliRunner().invoke(app, ["adapters", "run", "workspace.default", "-i", "cli demo", "-t", str(target_repo),
                                   "-c", f"docs/cli.md={content}", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["ok"] and doc["changed_files"] == ["docs/cli.md"] and "+from the cli" in doc["diff"]
    assert not (target_repo / "docs").exists()


def test_run_no_change_and_blocked(tmp_path: Path, target_repo: Path) -> None:
    out = CliRunner().invoke(app, ["adapters", "run", "workspace.default", "-i", "noop", "-t", str(target_repo),
                                   "--json"])
    assert out.exit_code == 1 and json.loads(out.stdout)["ok"] is False
    out = CliRunner().invoke(app, ["adapters", "run", "codex.default", "-i", "x", "-t", str(target_repo), "--json"])
    doc = json.loads(out.stdout)
    assert out.exit_code == 2 and doc["error_kind"] == "access_blocked" and doc["missing"]
