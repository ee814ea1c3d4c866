"""The same journey through the `fractalops` CLI: run -> show -> approve -> proposals, all via langgraph-sdk."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from tests.conftest import make_git_repo
from tests.e2e._journey import commits_for

pytestmark = pytest.mark.server


@pytest.fixture
def cli(server, monkeypatch):
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return json.loads(result.stdout) if "--json" in args else result.output

    return invoke


def test_run_show_approve_through_the_cli(cli, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    local = tmp_path / "notes.py"
    local.write_text("NOTES = 1\n")
    launched = cli("run", "add notes", "--workspace", str(repo), "--change", f"src/notes.py={local}",
                   "--pack", "ia_pm", "--json")
    thread = launched["thread_id"]
    assert [p["name"] for p in launched["pending"]] == ["workspace_patch"]
    pid = launched["pending"][0]["proposal_id"]

    shown = cli("show", thread)
    assert "waiting for your decision" in shown and f"fractalops approve {thread}" in shown

    approved = cli("approve", thread, "--json")
    assert approved["refused"] is None and approved["waiting"] is False
    assert (repo / "src/notes.py").read_text() == "NOTES = 1\n" and commits_for(repo, pid) == 1

    listed = cli("proposals", "list", "--thread", thread, "--json")
    assert [(p["id"], p["status"]) for p in listed] == [(pid, "evidenced")]
    assert cli("proposals", "show", pid, "--json")["executed"]["commit"]
    assert any(t["thread_id"] == thread for t in cli("threads", "--json"))
    cli("approve", thread, "--json", code=1)


def test_reject_and_edit_through_the_cli(cli, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    local = tmp_path / "a.py"
    local.write_text("A = 1\n")
    thread = cli("run", "add a", "--workspace", str(repo), "--change", f"a.py={local}", "--json")["thread_id"]
    patch = tmp_path / "edited.diff"
    original = cli("proposals", "show", cli("show", thread, "--json")["pending"][0]["proposal_id"], "--json")
    patch.write_text(original["payload"]["diff"].replace("A = 1", "A = 2"))
    edited = cli("edit", thread, "--file", str(patch), "--json")
    assert edited["waiting"] is True
    cli("reject", thread, "--message", "not now", "--json")
    assert not (repo / "a.py").exists()
    assert cli("proposals", "show", original["id"], "--json")["feedback"] == "not now"


def test_observe_looks_and_builds_nothing_even_with_changes(cli, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    local = tmp_path / "a.py"
    local.write_text("A = 1\n")
    shown = cli("run", "look at a", "--workspace", str(repo), "--change", f"a.py={local}", "--observe", "--json")
    assert shown["pending"] == [] and shown["hud"]["route"] == "observe", shown
    assert cli("proposals", "list", "--thread", shown["thread_id"], "--json") == []
    assert not (repo / "a.py").exists()


def test_cli_without_a_server_says_how_to_start_one(monkeypatch):
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")  # without a key the CLI stops earlier, naming where it looked
    result = CliRunner().invoke(app, ["threads", "--json"])
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert "no LangGraph server at http://127.0.0.1:9 (from FRACTALOPS_SERVER_URL" in error and "make dev" in error
