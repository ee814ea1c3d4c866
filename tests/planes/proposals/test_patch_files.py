"""git's own reading of a patch: every path (renames both sides), modes and binary flags; nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fractalops.errors import ProposalError, UnsafePathError
from fractalops.planes.proposals.patch_files import (
    FileChange,
    check_patch,
    check_target_paths,
    files_in_diff,
    inspect_patch,
    read_patch_names,
)
from tests.conftest import make_git_repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          capture_output=True, text=True, check=True).stdout


def staged_diff(repo: Path, *flags: str) -> str:
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "--binary", "--full-index", *flags, "HEAD")
    git(repo, "reset", "-q", "--hard")
    git(repo, "clean", "-fdq")
    return diff


def test_every_path_mode_and_binary_flag_as_git_reads_them(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", {"old name.txt": "same\n" * 30, "run.sh": "echo\n", "gone.txt": "g\n",
                                             "pic.bin": "seed\n"})
    (repo / "old name.txt").rename(repo / "nëw name.txt")
    (repo / "run.sh").chmod(0o755)
    (repo / "gone.txt").unlink()
    (repo / "pic.bin").write_bytes(b"\0\1\2" * 100)
    diff = staged_diff(repo, "-M")
    assert "rename from old name.txt" in diff
    base = git(repo, "rev-parse", "HEAD").strip()
    patch = inspect_patch(diff, repo, base)
    assert read_patch_names(diff) == ["gone.txt", "nëw name.txt", "pic.bin", "run.sh"], "numstat: destinations only"
    assert patch.paths == ["gone.txt", "nëw name.txt", "old name.txt", "pic.bin", "run.sh"] == files_in_diff(diff, repo, base)
    assert patch.changes == (
        FileChange("gone.txt", "D", "100644", "000000"),
        FileChange("nëw name.txt", "A", "000000", "100644"),
        FileChange("old name.txt", "D", "100644", "000000"),
        FileChange("pic.bin", "M", "100644", "100644", binary=True),
        FileChange("run.sh", "M", "100644", "100755"),
    )
    assert patch.describe() == ["delete gone.txt", "add nëw name.txt", "delete old name.txt", "modify pic.bin (binary)",
                                "modify run.sh (mode 100644 -> 100755, now executable)"]
    assert inspect_patch(diff, repo, "HEAD") == patch, "a symbolic base works too (never cached)"


def test_inspection_writes_nothing_under_the_target(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo")
    (repo / "new.txt").write_text("a brand new blob\n")
    diff = staged_diff(repo)
    git(repo, "gc", "-q", "--prune=now")
    before = sorted(str(p.relative_to(repo)) for p in (repo / ".git").rglob("*"))
    index = (repo / ".git/index").read_bytes()
    check_patch(diff, repo, git(repo, "rev-parse", "HEAD").strip())
    assert sorted(str(p.relative_to(repo)) for p in (repo / ".git").rglob("*")) == before
    assert (repo / ".git/index").read_bytes() == index and not (repo / "new.txt").exists()


@pytest.mark.parametrize("diff,match", [
    ("", "the diff is empty"),
    ("just words\n", "git cannot read the diff .*No valid patches"),
    ("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-nope\n+yes\n", "does not apply to"),
])
def test_a_diff_git_cannot_read_or_apply_is_refused_with_gits_message(repo: Path, diff: str, match: str) -> None:
    with pytest.raises(ProposalError, match=match):
        inspect_patch(diff, repo, "HEAD")


def test_a_target_that_is_not_a_repo_is_named(tmp_path: Path) -> None:
    diff = "diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+x\n"
    with pytest.raises(ProposalError, match="is not a directory"):
        inspect_patch(diff, tmp_path / "missing", "HEAD")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ProposalError, match="not inside a git repository"):
        inspect_patch(diff, tmp_path / "plain", "HEAD")


def test_target_paths_under_a_tracked_link_or_a_submodule_are_refused(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo")
    (repo / "docs").symlink_to("/usr/share/doc")
    git(repo, "add", "docs")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'b' * 40},vendor/lib")
    git(repo, "commit", "-qm", "link and submodule")
    (repo / "vendor/lib").mkdir(parents=True)
    check_target_paths(repo, "HEAD", ["src/ok.py", "vendor/other.py"])
    for path, match in [("docs/x.md", "goes through the symlink 'docs'"), ("vendor/lib/x.c", "inside the submodule"),
                        ("docs", "is a symlink"), (".git/x", "inside .git")]:
        with pytest.raises(UnsafePathError, match=match):
            check_target_paths(repo, "HEAD", [path])


def test_a_patch_into_a_submodule_or_through_a_tracked_link_says_so(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo")
    (repo / "docs").symlink_to("/usr/share/doc")
    git(repo, "add", "docs")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'b' * 40},vendor/lib")
    git(repo, "commit", "-qm", "link and submodule")
    for path, match in [("vendor/lib/x.c", "inside the submodule 'vendor/lib'"),
                        ("docs/x.md", "goes through the symlink 'docs'")]:
        diff = f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+x\n"
        with pytest.raises(UnsafePathError, match=match):
            check_patch(diff, repo, "HEAD")


def test_git_locates_a_workspace_once_and_again_when_its_repository_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fractalops.planes.proposals import patch_files

    asked: list[Path] = []
    run = patch_files._run

    def counting(cwd: Path, *args: str, **kwargs):
        if args[:1] == ("rev-parse",):
            asked.append(Path(cwd))
        return run(cwd, *args, **kwargs)

    monkeypatch.setattr(patch_files, "_run", counting)
    outer = make_git_repo(tmp_path / "outer")
    (outer / "pkg" / "sub").mkdir(parents=True)
    workspace = outer / "pkg" / "sub"
    assert patch_files.toplevel(workspace) == outer and patch_files.toplevel(workspace) == outer
    assert len(asked) == 1, "the second answer is the kept one"
    make_git_repo(outer / "pkg")  # a repository appears between the workspace and the old top level
    assert patch_files.toplevel(workspace) == outer / "pkg" and len(asked) == 2
    (outer / "pkg" / ".git" / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
                                                   "\tworktree = ../..\n")  # core.worktree moves the top level
    assert patch_files.toplevel(workspace) == outer and len(asked) == 3
    assert patch_files.toplevel(workspace) == outer and len(asked) == 4, "never kept while a .git sits in between"
    subprocess.run(["rm", "-rf", str(outer / "pkg" / ".git")], check=True)
    assert patch_files.toplevel(workspace) == outer and len(asked) == 4, "the last answer holds again: kept"
    subprocess.run(["mv", str(outer / ".git"), str(tmp_path / "moved.git")], check=True)
    with pytest.raises(ProposalError, match="not inside a git repository"):
        patch_files.toplevel(workspace)
