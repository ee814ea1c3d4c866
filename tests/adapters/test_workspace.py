from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fractalops.adapters.workspace import isolated_workspace
from fractalops.errors import AdapterError, ConfigError


def _snapshot(repo: Path, git_cmd) -> tuple[str, str, str, list[str]]:
    return (
        git_cmd(repo, "rev-parse", "HEAD"),
        git_cmd(repo, "status", "--porcelain", "--ignored"),
        git_cmd(repo, "stash", "list"),
        sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts),
    )


def _edit(ws_path: Path) -> None:
    (ws_path / "README.md").write_text("hello\nworld\n")
    (ws_path / "old.txt").unlink()
    (ws_path / "src" / "new.py").write_text("y = 2\n")
    (ws_path / "blob.bin").write_bytes(bytes(range(256)) * 4)
    (ws_path / "debug.log").write_text("ignored\n")


@pytest.mark.parametrize("mode", ["isolated_worktree", "isolated_copy"])
def test_diff_applies_and_target_untouched(target_repo: Path, git_cmd, mode: str) -> None:
    before = _snapshot(target_repo, git_cmd)
    with isolated_workspace(target_repo, mode=mode) as ws:
        assert ws.base_commit == before[0].strip()
        assert ws.path != target_repo and ws.target == target_repo.resolve()
        assert ws.diff() == "" and ws.changed_files() == []
        _edit(ws.path)
        diff = ws.diff()
        files = ws.changed_files()
        ws_path = ws.path
    assert files == ["README.md", "blob.bin", "old.txt", "src/new.py"]
    assert "GIT binary patch" in diff and "debug.log" not in diff
    assert not ws_path.exists()
    assert _snapshot(target_repo, git_cmd) == before
    assert git_cmd(target_repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    subprocess.run(["git", "apply", "--check", "-"], cwd=target_repo, input=diff.encode(), check=True)
    subprocess.run(["git", "apply", "-"], cwd=target_repo, input=diff.encode(), check=True)
    assert (target_repo / "src" / "new.py").read_text() == "y = 2\n"
    assert (target_repo / "blob.bin").read_bytes() == bytes(range(256)) * 4
    assert not (target_repo / "old.txt").exists()


def test_diff_includes_agent_commits_and_leaves_workspace_index(target_repo: Path, git_cmd) -> None:
    with isolated_workspace(target_repo) as ws:
        (ws.path / "c.txt").write_text("committed\n")
        git_cmd(ws.path, "add", "c.txt")
        git_cmd(ws.path, "-c", "user.email=a@b.invalid", "-c", "user.name=a", "commit", "-q", "-m", "agent")
        (ws.path / "d.txt").write_text("untracked\n")
        assert ws.changed_files() == ["c.txt", "d.txt"]
        assert git_cmd(ws.path, "status", "--porcelain") == "?? d.txt\n"


def test_cleanup_on_error_and_explicit_base(target_repo: Path, git_cmd) -> None:
    first = git_cmd(target_repo, "rev-parse", "HEAD").strip()
    (target_repo / "README.md").write_text("second\n")
    git_cmd(target_repo, "commit", "-q", "-am", "second")
    seen: list[Path] = []
    with pytest.raises(RuntimeError):
        with isolated_workspace(target_repo, base=first) as ws:
            seen.append(ws.path)
            assert ws.base_commit == first
            assert (ws.path / "README.md").read_text() == "hello\n"
            raise RuntimeError("agent blew up")
    assert not seen[0].exists()
    assert git_cmd(target_repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_bad_inputs(tmp_path: Path, target_repo: Path) -> None:
    with pytest.raises(ConfigError, match="not inside a git repository"):
        with isolated_workspace(tmp_path / "data" if (tmp_path / "data").exists() else tmp_path):
            pass
    with pytest.raises(AdapterError, match="not a commit"):
        with isolated_workspace(target_repo, base="no-such-ref"):
            pass
    with pytest.raises(ConfigError, match="unknown workspace mode"):
        with isolated_workspace(target_repo, mode="inplace"):
            pass
