"""Launching an asset on a task is a squad run with a binding (`fractalops run --bind`): its diff is a proposal.

`fractalops adapters run` (which ran an asset on this machine, outside the gate) is gone; these keep its checks.
"""

from __future__ import annotations

import pytest

from tests.conftest import make_git_repo

pytestmark = pytest.mark.server


def test_a_bound_builder_proposes_its_diff_and_leaves_the_target_alone(server, cli, tmp_path) -> None:
    repo = make_git_repo(tmp_path / "target")
    content = tmp_path / "content.txt"
    content.write_text("FROM = \"the cli\"\n")
    launched = cli("run", "cli demo", "--workspace", str(repo), "--bind", "forge=workspace.default",
                   "--change", f"src/cli.py={content}", "--json", key="key-alice", url=server.url)
    assert launched.code == 0, launched.stderr
    pending = launched.json()["pending"]
    assert [(p["name"], p["files"]) for p in pending] == [("workspace_patch", ["src/cli.py"])]
    proposal = cli("proposals", "show", pending[0]["proposal_id"], "--json").json()
    assert "+FROM = \"the cli\"" in proposal["payload"]["diff"]
    assert not (repo / "src").exists()


def test_a_binding_with_missing_credentials_waits_for_access_recovery(server, cli, tmp_path) -> None:
    repo = make_git_repo(tmp_path / "target")
    content = tmp_path / "notes.py"
    content.write_text("placeholder\n")
    launched = cli("run", "write notes with codex", "--workspace", str(repo), "--bind", "forge=codex.default",
                   "--change", f"src/notes.py={content}", "--json", key="key-alice", url=server.url)
    assert launched.code == 0, launched.stderr
    document = launched.json()
    assert document["hud"]["route"] == "access_recovery"
    assert [(p["name"], p["missing"]) for p in document["pending"]] == [
        ("access_recovery", ["openbao://kv/fractalops/codex#api_key"])]
    assert not (repo / "src").exists()


def test_a_binding_needs_a_role_the_asset_allows(server, cli, tmp_path) -> None:
    repo = make_git_repo(tmp_path / "target")
    refused = cli("run", "x", "--workspace", str(repo), "--bind", "forge=codex.default", "--json",
                  key="key-carol", url=server.url)
    assert refused.code == 1 and refused.json()["error_type"] == "Forbidden"
    assert "allowed_roles" in refused.json()["error"]


def test_a_malformed_binding_is_a_usage_error(cli) -> None:
    result = cli("run", "x", "--bind", "forge", "--json", key="k", url="http://127.0.0.1:9")
    assert result.code == 2 and "AGENT=ASSET_OR_ROLE" in result.json()["error"]
