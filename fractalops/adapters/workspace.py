"""Isolated workspaces: an agent edits a throwaway checkout, never the target repo's working tree.

Two modes:
- `isolated_worktree` (default): `git worktree add --detach <tmp> <base>`. Cheap (shares the object store);
  the target's working tree, index and HEAD are untouched, but git metadata for the worktree lives under the
  target's `.git/worktrees/` until cleanup, and objects the agent commits land in the shared object store.
- `isolated_copy`: a `git clone --shared --no-checkout` into a temp dir, then a detached checkout of the base,
  with the `origin` remote removed. Nothing at all is written under the target (alternates read its objects).
  Prefer it for untrusted agents: in worktree mode a `git branch`/`git tag` run by the agent lands in the
  target's shared refs (never its working tree, index or HEAD).

`Workspace.diff()` is everything the agent changed relative to `base_commit` (tracked edits, deletions, new
untracked files, binary files, and even commits the agent made), as a unified diff that `git apply` accepts on the
target at `base_commit`. Ignored files (per `.gitignore`) are not part of the diff.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from fractalops import git_runner as _git
from fractalops.errors import AdapterError, ConfigError

__all__ = ["Workspace", "WorkspaceMode", "WORKSPACE_MODES", "isolated_workspace"]

git = partial(_git.git, error=AdapterError)

WorkspaceMode = Literal["isolated_worktree", "isolated_copy"]
WORKSPACE_MODES: tuple[str, ...] = ("isolated_worktree", "isolated_copy")


@dataclass(frozen=True)
class Workspace:
    """One isolated checkout of a target repo at a recorded base commit."""

    path: Path
    """The checkout the agent works in (its cwd)."""
    target: Path
    """The real target repository's top-level directory (never written)."""
    base_commit: str
    """Full sha of the commit the workspace was checked out at; the diff is relative to it."""
    mode: str = "isolated_worktree"
    """`isolated_worktree` or `isolated_copy`."""
    task_file: Path | None = None
    """The task JSON for this launch (outside the checkout, so never in the diff); set by `run_asset`."""
    _scratch: Path = field(default=Path(), repr=False, compare=False)

    def _stage(self) -> dict[str, str]:
        # A private index copy: staging for the diff never changes the workspace's own index.
        index = Path(git(self.path, "rev-parse", "--path-format=absolute", "--git-path", "index").stdout.strip())
        tmp_index = self._scratch / "diff-index"
        if index.exists():
            shutil.copyfile(index, tmp_index)
        else:
            tmp_index.unlink(missing_ok=True)
        env = {"GIT_INDEX_FILE": str(tmp_index)}
        git(self.path, "add", "--all", env=env)
        return env

    def _diff(self, env: dict[str, str], *diff_args: str) -> str:
        out = git(self.path, "diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv",
                  *diff_args, self.base_commit, env=env, text=False).stdout
        return out.decode("utf-8", "surrogateescape")

    def diff(self) -> str:
        """Unified diff (`--binary`, new files included) of everything changed vs `base_commit`; '' if none."""
        return self._diff(self._stage(), "--binary", "--full-index")

    def changed_files(self) -> list[str]:
        """Sorted repo-relative paths that differ from `base_commit` (added, modified, deleted)."""
        return sorted(p for p in self._diff(self._stage(), "--name-only", "-z").split("\0") if p)

    def diff_and_files(self) -> tuple[str, list[str]]:
        """`(diff(), changed_files())` from one staging pass (cheaper than calling both)."""
        env = self._stage()
        files = sorted(p for p in self._diff(env, "--name-only", "-z").split("\0") if p)
        return (self._diff(env, "--binary", "--full-index") if files else ""), files


_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _target_lock(top: Path) -> threading.Lock:
    # Worktree add/remove/prune on one repo from several threads race on `.git/worktrees`; serialize them.
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(top, threading.Lock())


def _resolve_target(target: Path) -> Path:
    target = Path(target).expanduser().resolve()
    if not target.is_dir():
        raise ConfigError(f"workspace target {target} is not a directory; pass the path of a git repository")
    proc = git(target, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        raise ConfigError(f"workspace target {target} is not inside a git repository; run `git init` and commit first")
    return Path(proc.stdout.strip()).resolve()


def _resolve_base(top: Path, base: str | None) -> str:
    rev = base or "HEAD"
    proc = git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    if proc.returncode != 0:
        raise AdapterError(f"base {rev!r} is not a commit in {top}; pass an existing commit, branch or tag")
    return proc.stdout.strip()


@contextmanager
def isolated_workspace(
    target: Path,
    *,
    mode: str = "isolated_worktree",
    base: str | None = None,
    root: Path | None = None,
) -> Iterator[Workspace]:
    """Check out `target` at `base` (default HEAD) in a temp dir; always remove it on exit, even on error.

    `root` is the parent of the temp dir (default: the system temp dir, `$TMPDIR`).
    """
    if mode not in WORKSPACE_MODES:
        raise ConfigError(f"unknown workspace mode {mode!r}; valid modes: {', '.join(WORKSPACE_MODES)}")
    top = _resolve_target(target)
    base_commit = _resolve_base(top, base)
    scratch = Path(tempfile.mkdtemp(prefix="fractalops-ws-", dir=root)).resolve()
    path = scratch / scratch.name  # a unique basename: git names `.git/worktrees/<basename>` after it
    added = False
    try:
        if mode == "isolated_worktree":
            with _target_lock(top):
                git(top, "worktree", "add", "--detach", "--quiet", str(path), base_commit)
            added = True
        else:
            git(scratch, "clone", "--quiet", "--shared", "--no-checkout", "--no-tags", str(top), str(path))
            git(path, "checkout", "--quiet", "--detach", base_commit)
            git(path, "remote", "remove", "origin")  # nothing in the copy can push back to the target
        yield Workspace(path=path, target=top, base_commit=base_commit, mode=mode, _scratch=scratch)
    finally:
        if added:
            with _target_lock(top):
                git(top, "worktree", "remove", "--force", "--force", str(path), check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        if mode == "isolated_worktree":
            with _target_lock(top):
                git(top, "worktree", "prune", check=False)
