"""Unsafe paths in the squad, in-process: an unsafe edit is refused at the gate (the thread keeps waiting), and an
unsafe path during a run ends that run with the refusal in its HUD, its projection and its chat reply."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.errors import ConfigError
from fractalops.graphs.squad import build_squad
from fractalops.hud import compile_hud
from fractalops.planes.proposals import ProposalStatus
from fractalops.runtime.resources import squad_resources
from tests.conftest import make_git_repo
from tests.graphs._runs import ALICE
from tests.graphs._runs import run_config as _config

BOB = {"identity": "bob", "roles": ["approver"]}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture
def squad():
    return build_squad().compile(checkpointer=InMemorySaver())


def launch(squad, repo: Path, thread: str, path: str = "src/app.py", forge: str = "native"):
    payload = {"intent": "add an app", "workspace": str(repo), "changes": [{"path": path, "content": "print(1)\n"}]}
    return squad.invoke(payload, _config(thread, ALICE, bindings={"forge": forge}))


def _new_file(path: str) -> str:
    return f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+pwned\n"


SYMLINK = ("diff --git a/passwd b/passwd\nnew file mode 120000\n--- /dev/null\n+++ b/passwd\n@@ -0,0 +1 @@\n"
           "+/etc/passwd\n\\ No newline at end of file\n")


@pytest.mark.parametrize("diff,reason", [
    (SYMLINK, "'passwd' would become a symlink"),
    (_new_file(".git/hooks/post-commit"), "is inside .git"),
    (_new_file("out/evil.txt"), "goes through the symlink 'out'"),
    ("not a diff at all\n", "git cannot read the diff"),
])
def test_an_unsafe_edit_is_refused_at_the_edit_and_the_thread_stays_at_the_gate(squad, tmp_path, data_dir, diff,
                                                                                  reason):
    (tmp_path / "outside").mkdir()
    repo = make_git_repo(tmp_path / "repo")
    (repo / "out").symlink_to(tmp_path / "outside")
    _git(repo, "add", "out")
    _git(repo, "commit", "-qm", "a link out")
    thread = str(uuid.uuid4())
    shown = launch(squad, repo, thread)["__interrupt__"][0].value["action_requests"][0]["args"]
    edit = {"type": "edit", "edited_action": {"name": "workspace_patch", "args": {"diff": diff}}}
    result = squad.invoke(Command(resume={"decisions": [edit]}), _config(thread, BOB))

    again = result["__interrupt__"][0].value["action_requests"][0]
    assert "previous decision refused" in again["description"] and reason in again["description"]
    assert again["args"]["content_hash"] == shown["content_hash"] and again["args"]["files"] == ["src/app.py"]
    proposal = squad_resources().proposals.get(shown["proposal_id"])
    assert proposal.status == ProposalStatus.IN_REVIEW and proposal.approvals == [], "nothing was recorded"
    assert squad.get_state(_config(thread, ALICE)).next == ("gate",)
    assert not (repo / "passwd").exists() and list((tmp_path / "outside").iterdir()) == []

    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread, BOB))
    assert (repo / "src/app.py").read_text() == "print(1)\n", "the unedited proposal still applies"


def test_an_edit_adding_a_quoted_executable_is_shown_with_its_mode_and_applied_exactly(squad, repo, data_dir):
    thread = str(uuid.uuid4())
    launch(squad, repo, thread)
    diff = ('diff --git "a/evil file.sh" "b/evil file.sh"\nnew file mode 100755\n--- /dev/null\n+++ "b/evil file.sh"\n'
            "@@ -0,0 +1 @@\n+echo hi\n")
    edit = {"type": "edit", "edited_action": {"name": "workspace_patch", "args": {"diff": diff}}}
    result = squad.invoke(Command(resume={"decisions": [edit]}), _config(thread, BOB))
    args = result["__interrupt__"][0].value["action_requests"][0]["args"]
    assert args["files"] == ["evil file.sh"]
    assert args["file_changes"] == ["add evil file.sh (mode 100755, executable)"]
    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread, ALICE))
    assert _git(repo, "show", "--name-status", "--format=", "HEAD") == "A\tevil file.sh\n"
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def _assert_refused_run(squad, repo: Path, thread: str, result: dict, reason: str) -> None:
    assert "__interrupt__" not in result, "nothing reaches the gate"
    summary = squad.get_state(_config(thread, ALICE)).values["summary"]
    assert summary["outcome"].startswith("refused: ") and summary["outcome"].endswith("; nothing was proposed")
    assert reason in summary["outcome"] and reason in summary["last_feedback"]
    action = compile_hud(summary, resumed=False).hud.launch_action
    assert action.startswith("done: refused: ") and reason in action
    assert squad_resources().outbox.projection(thread)["hud"]["launch_action"] == action
    reply = result["messages"][-1]
    assert reply.type == "ai" and reply.content.startswith("Refused: ") and reason in reply.content
    assert squad_resources().proposals.list(thread_id=thread) == []
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize("forge", ["native", "workspace.default"])
@pytest.mark.parametrize("link,path,reason", [
    ("outside", "out/evil.txt", "goes through the symlink 'out'"),
    ("src", "out/evil.txt", "goes through the symlink 'out'"),
    ("README.md", "out", "is a symlink"),
])
def test_a_run_with_an_unsafe_change_path_ends_refused_in_the_hud(squad, tmp_path, data_dir, forge, link, path,
                                                                   reason):
    (tmp_path / "outside").mkdir()
    repo = make_git_repo(tmp_path / "repo", {"README.md": "# demo\n", "src/keep.py": "k = 1\n"})
    (repo / "out").symlink_to(tmp_path / link if link == "outside" else link)
    _git(repo, "add", "out")
    _git(repo, "commit", "-qm", "a link")
    thread = str(uuid.uuid4())
    _assert_refused_run(squad, repo, thread, launch(squad, repo, thread, path=path, forge=forge), reason)
    assert list((tmp_path / "outside").iterdir()) == [] and (repo / "README.md").read_text() == "# demo\n"


def test_an_untracked_symlink_in_the_target_refuses_the_change_too(squad, tmp_path, data_dir):
    (tmp_path / "outside").mkdir()
    repo = make_git_repo(tmp_path / "repo")
    (repo / "cache").symlink_to(tmp_path / "outside")
    thread = str(uuid.uuid4())
    result = launch(squad, repo, thread, path="cache/x.txt")
    assert "__interrupt__" not in result
    assert "goes through the symlink 'cache'" in squad.get_state(_config(thread, ALICE)).values["summary"]["outcome"]


@pytest.fixture
def link_making_agent(tmp_path, monkeypatch):
    """A CLI agent (workspace_cli) that writes its file and also plants a symlink to /etc/passwd."""
    script = "import os, pathlib; pathlib.Path('notes.txt').write_text('hi'); os.symlink('/etc/passwd', 'passwd')"
    armory = {"version": 1, "assets": [{
        "asset_id": "linker.test", "role": "builder", "kind": "workspace_cli", "command": [sys.executable, "-c", script],
        "timeout_s": 60, "ceiling": "standard"}]}
    path = tmp_path / "armory.yaml"
    path.write_text(yaml.safe_dump(armory))
    monkeypatch.setenv("FRACTALOPS_ARMORY", str(path))
    return "linker.test"


def test_a_cli_agents_diff_with_a_symlink_ends_the_run_refused(squad, repo, data_dir, link_making_agent):
    thread = str(uuid.uuid4())
    result = launch(squad, repo, thread, path="notes.txt", forge=link_making_agent)
    _assert_refused_run(squad, repo, thread, result, "'passwd' would become a symlink")
    assert not (repo / "passwd").exists()


@pytest.mark.parametrize("path,problem", [(".git/config", "inside .git"), ("a/.GIT/hooks/x", "inside .git"),
                                          ("a\0b", "NUL"), ("../x", "'..'"), ("/etc/x", "absolute")])
def test_run_input_refuses_pure_path_problems_before_the_run(squad, repo, data_dir, path, problem):
    with pytest.raises(ConfigError, match=rf"input\.changes\[0\]\.path .*{problem}"):
        launch(squad, repo, str(uuid.uuid4()), path=path)
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""
