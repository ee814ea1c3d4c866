"""The one path policy: what every change path (run input, forge, edits, relay) must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.errors import UnsafePathError
from fractalops.repo_paths import check_repo_path, check_worktree_path, path_problem


@pytest.mark.parametrize("raw,problem", [
    ("", "non-empty"), ("  ", "non-empty"), (None, "non-empty"), (3, "non-empty"),
    ("a\0b", "NUL"), ("a\nb", "U+000A"), ("a\tb", "U+0009"), ("a\x7fb", "U+007F"), ("a\x85b", "U+0085"),
    ("evil\u202etxt.sh", "bidirectional control U+202E"), ("bad\udcff.txt", "not valid UTF-8"),
    ("/etc/passwd", "absolute"), ("\\x", "absolute"), ("C:x", "absolute"),
    ("..", "'..'"), ("a/../../b", "'..'"), ("a\\..\\b", "'..'"),
    (".git", ".git"), (".git/config", ".git"), ("a/.GIT/hooks/x", ".git"), ("sub/.Git", ".git"),
    (".git./x", ".git"), (".git /x", ".git"), ("GIT~1/config", ".git"), (".git::$INDEX_ALLOCATION/x", ".git"),
    (".g\u200cit/config", ".git"), ("\ufeff.git/config", ".git"),
    (".", "root itself"), ("./", "root itself"),
])
def test_refused(raw: object, problem: str) -> None:
    found = path_problem(raw)
    assert found and problem in found
    with pytest.raises(UnsafePathError, match="path "):
        check_repo_path(raw)


@pytest.mark.parametrize("raw,normal", [
    ("src/app.py", "src/app.py"), ("x/./y.txt", "x/y.txt"), ("a//b", "a/b"), ("dir with space/f.txt", "dir with space/f.txt"),
    ("日本/ünï.md", "日本/ünï.md"), (".github/workflows/ci.yml", ".github/workflows/ci.yml"), (".gitignore", ".gitignore"),
    ("say \"hi\".txt", "say \"hi\".txt"), ("a.git/x", "a.git/x"), ("..x/y", "..x/y"),
])
def test_allowed(raw: str, normal: str) -> None:
    assert path_problem(raw) is None
    assert check_repo_path(raw) == normal


def test_error_class_and_path_are_kept() -> None:
    class Mine(UnsafePathError):
        pass

    with pytest.raises(Mine) as caught:
        check_repo_path(".git/x", error=Mine)
    assert caught.value.path == ".git/x"


def test_worktree_symlinks_are_refused_even_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "real/file.txt").write_text("x")
    (tmp_path / "away").mkdir()
    (root / "inside").symlink_to("real")
    (root / "outside").symlink_to(tmp_path / "away")
    (root / "alias.txt").symlink_to("real/file.txt")
    assert check_worktree_path(root, "real/new.txt") == root.resolve() / "real/new.txt"
    assert check_worktree_path(root, "brand/new/dir.txt") == root.resolve() / "brand/new/dir.txt"
    for raw, what in [("inside/x", "goes through the symlink 'inside'"), ("outside/x", "goes through the symlink"),
                      ("alias.txt", "is a symlink")]:
        with pytest.raises(UnsafePathError, match=what):
            check_worktree_path(root, raw)
    assert check_worktree_path(root, "alias.txt", may_be_symlink=True) == root.resolve() / "alias.txt"


def test_a_symlinked_root_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "via").symlink_to(tmp_path / "real")
    assert check_worktree_path(tmp_path / "via", "a.txt") == (tmp_path / "real/a.txt")
