"""`fractalops armory|secrets|connectors` through typer's CliRunner, against the real local backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fractalops.armory.secrets import open_secret_backend
from fractalops.cli.commands import armory as armory_cmd
from fractalops.cli.commands import connectors as connectors_cmd
from fractalops.cli.commands import secrets as secrets_cmd

from .conftest import asset

runner = CliRunner()
CODEX = "openbao://kv/fractalops/codex#api_key"
ANTHROPIC = "openbao://kv/fractalops/anthropic#api_key"
ZAI = "openbao://kv/fractalops/zai#api_key"


def test_secrets_put_reads_the_value_from_stdin() -> None:
    result = runner.invoke(secrets_cmd.app, ["put", CODEX], input="sk-from-stdin-123\n")
    assert result.exit_code == 0, result.output
    assert "sk-from-stdin-123" not in result.output
    assert open_secret_backend().get(CODEX) == "sk-from-stdin-123"  # the trailing newline is dropped


def test_secrets_put_has_no_value_argument_and_rejects_empty_stdin() -> None:
    result = runner.invoke(secrets_cmd.app, ["put", CODEX, "sk-on-argv"], input="x")
    assert result.exit_code != 0
    result = runner.invoke(secrets_cmd.app, ["put", CODEX], input="")
    assert result.exit_code == 1 and "no value on stdin" in result.output


def test_secrets_put_rejects_a_malformed_ref() -> None:
    result = runner.invoke(secrets_cmd.app, ["put", "vault://kv/x#y", "--json"], input="value-1")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and "malformed secret ref" in doc["error"]


def test_secrets_list_shows_refs_never_values() -> None:
    for ref, value in [(CODEX, "sk-codex-value"), (ZAI, "zai-value-999")]:
        assert runner.invoke(secrets_cmd.app, ["put", ref], input=value).exit_code == 0
    result = runner.invoke(secrets_cmd.app, ["list", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [item["ref"] for item in doc] == sorted([CODEX, ZAI])
    assert "sk-codex-value" not in result.output and "zai-value-999" not in result.output
    human = runner.invoke(secrets_cmd.app, ["list"], env={"COLUMNS": "200"})
    assert human.exit_code == 0 and CODEX in human.output
    assert "sk-codex-value" not in human.output and "zai-value-999" not in human.output


def test_secrets_delete() -> None:
    runner.invoke(secrets_cmd.app, ["put", CODEX], input="sk-codex-value")
    assert runner.invoke(secrets_cmd.app, ["delete", CODEX]).exit_code == 0
    assert json.loads(runner.invoke(secrets_cmd.app, ["list", "--json"]).stdout) == []
    assert runner.invoke(secrets_cmd.app, ["delete", CODEX]).exit_code == 1


def test_armory_list_json_has_kind_and_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(armory_cmd.app, ["list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    by_id = {row["asset_id"]: row for row in rows}
    assert by_id["workspace.default"]["kind"] == "workspace_cli"
    assert by_id["workspace.default"]["bound_agents"] == ["forge"]
    assert {"asset_id", "role", "kind", "ceiling"} <= set(rows[0])
    assert {by_id[i]["kind"] for i in ("codex.default", "claude.default", "zai.default")} == {"codex", "claude", "zai"}
    human = runner.invoke(armory_cmd.app, ["list"])
    assert human.exit_code == 0 and "workspace.default" in human.output


def test_armory_check_ok_and_failures(write_armory, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(armory_cmd.app, ["check", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["bindings"] == {"forge": "workspace.default"}
    bad = write_armory({"assets": [asset("dup", "x"), asset("dup", "y")]})
    monkeypatch.setenv("FRACTALOPS_ARMORY", str(bad))
    result = runner.invoke(armory_cmd.app, ["check", "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and "assets[1]" in doc["error"] and str(bad.resolve()) in doc["error"]
    human = runner.invoke(armory_cmd.app, ["check"])
    assert human.exit_code == 1 and "duplicates asset_id" in human.output


def test_reconcile_ssot_reports_drift_and_exit_codes(write_armory, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(connectors_cmd.app, ["reconcile-ssot", "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["present"] == [] and doc["unused"] == []
    assert doc["missing"] == sorted([CODEX, ANTHROPIC, ZAI])

    backend = open_secret_backend()
    for ref in (CODEX, ANTHROPIC, ZAI):
        backend.put(ref, f"value-for-{ref}")
    result = runner.invoke(connectors_cmd.app, ["reconcile-ssot", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["present"] == sorted([CODEX, ANTHROPIC, ZAI]) and doc["missing"] == [] and doc["unused"] == []
    assert "value-for" not in result.output

    backend.put("openbao://kv/old/thing#token", "stale-value")
    result = runner.invoke(connectors_cmd.app, ["reconcile-ssot", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["unused"] == ["openbao://kv/old/thing#token"]
    human = runner.invoke(connectors_cmd.app, ["reconcile-ssot"], env={"COLUMNS": "200"})
    assert human.exit_code == 1 and "unused" in human.output and "stale-value" not in human.output

    monkeypatch.setenv("FRACTALOPS_ARMORY", str(write_armory("assets: [")))
    result = runner.invoke(connectors_cmd.app, ["reconcile-ssot", "--json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["ok"] is False


def test_root_cli_mounts_the_groups(tmp_path: Path) -> None:
    from fractalops.cli.main import app

    result = runner.invoke(app, ["secrets", "put", CODEX], input="sk-root-cli")
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["armory", "list", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)
    result = runner.invoke(app, ["connectors", "reconcile-ssot", "--json"])
    assert result.exit_code == 1 and CODEX in json.loads(result.stdout)["present"]
