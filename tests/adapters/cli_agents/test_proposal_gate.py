"""A real CLI's workspace diff becomes a proposal, goes through the HITL gate, and is applied exactly once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.agents.gate import review_checks
from fractalops.armory import Constitution
from fractalops.armory.assets import RuntimeAsset
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.identity import Principal
from fractalops.planes.proposals import ProposalStatus, ProposalStore, apply_workspace_patch
from fractalops.planes.proposals.review import apply_decisions, build_review_request

from .conftest import CANARY_KEY, TargetWatch
from .scripted_anthropic import ScriptedAnthropic
from .scripted_openai import ScriptedOpenAI


def _codex(bin_path: Path, server: ScriptedOpenAI) -> RuntimeAsset:
    return RuntimeAsset(asset_id="codex.gate", role="codex", kind="codex", command=[str(bin_path)],
                        env={"CODEX_BASE_URL": f"{server.base_url}/v1", "CODEX_MODEL": "gpt-scripted"},
                        secrets={"CODEX_API_KEY": "openbao://kv/test/codex#api_key"}, timeout_s=60)


def _claude(bin_path: Path, server: ScriptedAnthropic) -> RuntimeAsset:
    return RuntimeAsset(asset_id="claude.gate", role="claude", kind="claude", command=[str(bin_path)],
                        env={"ANTHROPIC_BASE_URL": server.base_url, "ANTHROPIC_MODEL": "claude-scripted"},
                        secrets={"ANTHROPIC_API_KEY": "openbao://kv/test/anthropic#api_key"}, timeout_s=60)


@pytest.mark.parametrize("cli", ["codex", "claude"])
def test_cli_diff_goes_through_the_gate_and_applies_once(
        cli: str, request: pytest.FixtureRequest, target_repo: Path, data_dir: Path,
        secrets_backend: LocalSecretBackend, git_cmd) -> None:
    bin_path = request.getfixturevalue(f"{cli}_bin")
    server = request.getfixturevalue("openai_server" if cli == "codex" else "anthropic_server")
    asset = _codex(bin_path, server) if cli == "codex" else _claude(bin_path, server)
    secrets_backend.put(next(iter(asset.secrets.values())), CANARY_KEY)
    task = AdapterTask(intent="add a notes file", prompt="Create NOTES.md saying hello.", thread_id="t-gate",
                       agent="forge")
    watch = TargetWatch(target_repo)
    run = run_asset(asset, task, target_repo, secrets_backend=secrets_backend, on_event=watch)
    assert run.succeeded and watch.touched == []

    store = ProposalStore.in_data_dir(data_dir)
    proposal = store.create(thread_id=task.thread_id, author_agent="forge", requester="user:operator",
                            kind="workspace_patch", target=str(target_repo), title=f"{cli}: add NOTES.md",
                            payload={"diff": run.diff, "base_commit": run.base_commit, "files": run.changed_files})
    proposal = store.transition(proposal.id, ProposalStatus.IN_REVIEW)
    hitl = build_review_request([proposal])
    assert hitl["action_requests"][0]["args"]["files"] == ["NOTES.md"]
    assert CANARY_KEY not in json.dumps(hitl)
    assert git_cmd(target_repo, "status", "--porcelain") == ""  # nothing applied before the decision

    check, check_edit = review_checks(Constitution.load(), lambda p: "standard")
    outcome = apply_decisions(store, [proposal], [{"type": "approve"}],
                              Principal(identity="user:reviewer", roles=frozenset({"approver"})),
                              check=check, check_edit=check_edit)
    assert outcome.approved == [proposal.id]
    approved = store.transition(proposal.id, ProposalStatus.PUBLISHED)
    lock_dir = data_dir / "locks"
    first = apply_workspace_patch(approved, lock_dir=lock_dir, approvers=["user:reviewer"])
    again = apply_workspace_patch(approved, lock_dir=lock_dir, approvers=["user:reviewer"])
    assert first.status == "applied" and again.status == "already_applied" and again.commit == first.commit

    assert (target_repo / "NOTES.md").read_text().startswith(f"hello from scripted {cli}")
    shown = git_cmd(target_repo, "show", "--stat", "--format=%B", first.commit)
    assert f"Fractalops-Proposal: {proposal.id}" in shown and "NOTES.md" in shown
    assert subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=target_repo, capture_output=True,
                          text=True, check=True).stdout.strip() == "2"
