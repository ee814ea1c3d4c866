"""What a workspace patch touches, as git itself reads it (never by matching `diff --git` headers).

`inspect_patch(diff, repo, base)` applies the diff to a throwaway index read from `base` (`git apply --cached
--numstat -z --apply`, objects into a throwaway object directory, so nothing is written under the target): git's own
parser reads the names (quoted, spaces, unicode, binary hunks), and `git diff --cached --raw -z --no-renames <base>`
then reports what the patch did: every path (a rename is its source deleted plus its destination added) with its old
and new mode. A diff git cannot read or apply is refused with git's message. `read_patch_names` is git's parse alone
(`git apply --numstat -z`, outside any repository), for when there is no target to apply to.

`check_patch` is `inspect_patch` plus the path policy: every path passes `fractalops.repo_paths` (absolute, `..`,
`.git`, control characters), no path goes through a symlink or a submodule of `base` or of the target's working
tree, and nothing becomes a symlink (mode 120000) or touches a gitlink (160000). Executable bits (100644 <-> 100755)
are allowed: the file is in the list and `describe()` shows the mode change to the reviewer (`review_args`).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fractalops import git_runner as _git
from fractalops.errors import ProposalError, UnsafePathError
from fractalops.repo_paths import check_repo_path, check_worktree_path

__all__ = ["FileChange", "PatchFiles", "read_patch_names", "inspect_patch", "check_patch", "check_target_paths",
           "files_in_diff", "toplevel"]

SYMLINK, GITLINK, EXECUTABLE, ABSENT = "120000", "160000", "100755", "000000"
_FULL_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


class _Memo:
    """A small bounded memo keyed by the diff's digest (never the diff itself, which may be megabytes)."""

    def __init__(self, size: int = 64) -> None:
        self._size, self._lock, self._items = size, threading.Lock(), OrderedDict()

    def get(self, key: tuple, compute: Callable[[], object]) -> object:
        found = self.peek(key)
        if found is not None:
            return found
        value = compute()
        self.put(key, value)
        return value

    def peek(self, key: tuple) -> object | None:
        """The kept value, or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple, value: object) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_NAMES, _PATCHES, _TREES, _LOCATED = _Memo(), _Memo(), _Memo(), _Memo(256)


def _digest(diff: str) -> str:
    return hashlib.sha256(diff.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class FileChange:
    """One path a patch changes, with the modes git records."""

    path: str
    """Repo-relative path (a rename is its source deleted and its destination added)."""
    status: str
    """git's raw status letter: `A` added, `D` deleted, `M` modified, `T` type changed."""
    old_mode: str
    """Octal mode at the base (`000000` when the file is added)."""
    new_mode: str
    """Octal mode after the patch (`000000` when the file is deleted)."""
    binary: bool = False
    """git reads the change as binary (shown as `- -` by `--numstat`)."""

    def describe(self) -> str:
        """One line for a reviewer: what happens to the path, with every mode change spelled out."""
        verb = {"A": "add", "D": "delete", "M": "modify", "T": "change the type of"}.get(self.status, self.status)
        notes = []
        if self.status == "A" and self.new_mode != "100644":
            notes.append(f"mode {self.new_mode}" + {EXECUTABLE: ", executable", SYMLINK: ", a symlink",
                                                    GITLINK: ", a submodule"}.get(self.new_mode, ""))
        elif self.status in {"M", "T"} and self.old_mode != self.new_mode:
            turn = {EXECUTABLE: ", now executable"}.get(self.new_mode, ", no longer executable"
                                                         if self.old_mode == EXECUTABLE else "")
            notes.append(f"mode {self.old_mode} -> {self.new_mode}{turn}")
        if self.binary:
            notes.append("binary")
        return f"{verb} {self.path}" + (f" ({'; '.join(notes)})" if notes else "")


@dataclass(frozen=True)
class PatchFiles:
    """Everything a patch touches, as git read it."""

    changes: tuple[FileChange, ...]
    """The net effect on `base`, one entry per path, sorted by path."""
    named: tuple[str, ...]
    """Every name git's parser reported (`--numstat`), in patch order; covers a section with no net effect."""

    @property
    def paths(self) -> list[str]:
        """Sorted, distinct: the exact file list a proposal must carry."""
        return sorted({c.path for c in self.changes} | set(self.named))

    def describe(self) -> list[str]:
        """One line per changed path, for the reviewer."""
        return [c.describe() for c in self.changes]


def _run(cwd: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # bytes in and out: a name that is not UTF-8 reaches the path policy (as surrogates) instead of crashing here
    return _git.git(cwd, "--literal-pathspecs", *args, input=data, env=env, check=False, text=False)  # type: ignore[arg-type]


def _err(proc: subprocess.CompletedProcess) -> str:
    return proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"


def _fields(out: bytes) -> list[str]:
    return [f.decode("utf-8", "surrogateescape") for f in out.split(b"\0")]


def _parse_numstat(out: bytes) -> tuple[tuple[str, bool], ...]:
    named = []
    for record in _fields(out):
        if record:
            added, _deleted, name = record.split("\t", 2)
            named.append((name, added == "-"))
    return tuple(named)


def _read_numstat(diff: str) -> tuple[tuple[str, bool], ...]:
    with tempfile.TemporaryDirectory(prefix="fractalops-patch-") as scratch:
        # outside any repository, so no target config changes how the diff is read
        env = {"GIT_CEILING_DIRECTORIES": str(Path(scratch).parent)}
        proc = _run(Path(scratch), "apply", "--numstat", "-z", "-", data=_bytes(diff), env=env)
    if proc.returncode != 0:
        raise ProposalError(f"git cannot read the diff (no `diff --git` file header it accepts, or a corrupt hunk): "
                            f"{_err(proc)}")
    return _parse_numstat(proc.stdout)


def _bytes(diff: str) -> bytes:
    return diff.encode("utf-8", "surrogateescape")


def read_patch_names(diff: str) -> list[str]:
    """The names git's parser reads in `diff`, in order (a rename: its destination only); `ProposalError` if none."""
    if not isinstance(diff, str) or not diff.strip():
        raise ProposalError("the diff is empty; give a unified diff (`git diff --binary` output)")
    named: tuple[tuple[str, bool], ...] = _NAMES.get((_digest(diff),), lambda: _read_numstat(diff))  # type: ignore[assignment]
    return [name for name, _ in named]


def _git_marker(directory: Path) -> tuple[int, ...] | None:
    """Which `.git` `directory` holds (a directory, or a worktree's file) and the state of its config (where
    `core.worktree` could move the top level), None when there is none. Not `.git`'s mtime: git's own lock files
    change that with every write."""
    try:
        st = os.lstat(directory / ".git")
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size
    try:
        config = os.stat(directory / ".git" / "config")
    except OSError:
        return st.st_dev, st.st_ino
    return st.st_dev, st.st_ino, config.st_ino, config.st_mtime_ns, config.st_size


def _still_located(repo: Path, top: Path, marker: tuple[int, ...]) -> bool:
    """The answer git gave for `repo` still holds: the same `.git` at its top, and none between `repo` and it."""
    if _git_marker(top) != marker or not repo.is_dir():
        return False
    here = repo
    while here != top:
        if _git_marker(here) is not None or here.parent == here:
            return False
        here = here.parent
    return True


def _locate(repo: Path) -> tuple[Path, str]:
    """(top-level directory, absolute object directory) of the repository holding `repo`.

    git answers once per directory; the answer is kept while it still holds (`_still_located`: two `lstat`s where
    `git rev-parse` costs a process), because forge, the gate and relay each ask for the same workspace in turn."""
    repo = Path(os.path.abspath(repo))
    known: tuple[Path, str, tuple[int, ...]] | None = _LOCATED.peek((repo,))  # type: ignore[assignment]
    if known is not None and _still_located(repo, known[0], known[2]):
        return known[0], known[1]
    if not repo.is_dir():
        raise ProposalError(f"target {repo} is not a directory; a workspace patch needs its git repository")
    proc = _run(repo, "rev-parse", "--show-toplevel", "--path-format=absolute", "--git-path", "objects")
    if proc.returncode != 0:
        raise ProposalError(f"target {repo} is not inside a git repository: {_err(proc)}")
    top_text, objects = proc.stdout.decode("utf-8", "surrogateescape").splitlines()[:2]
    top = Path(top_text)
    marker = _git_marker(top)
    if marker is not None and (repo == top or top in repo.parents):  # otherwise (a symlinked path): ask every time
        _LOCATED.put((repo,), (top, objects, marker))
    return top, objects


def toplevel(repo: Path) -> Path:
    """The top-level directory of the git repository holding `repo`; `ProposalError` if there is none."""
    return _locate(repo)[0]


class _DoesNotApply(ProposalError):
    """The scratch apply failed (the caller may find a clearer reason in the path policy)."""


def _inspect(diff: str, top: Path, objects: str, base: str) -> PatchFiles:
    with tempfile.TemporaryDirectory(prefix="fractalops-patch-") as scratch:
        (Path(scratch) / "objects").mkdir()
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index"), "GIT_OBJECT_DIRECTORY": str(Path(scratch) / "objects"),
               "GIT_ALTERNATE_OBJECT_DIRECTORIES": objects}
        read = _run(top, "read-tree", base, env=env)
        if read.returncode != 0:
            raise ProposalError(f"base {base!r} is not a commit of {top}: {_err(read)}")
        # one call: git's parse (`--numstat`, binary flags) and, with `--apply`, the apply onto the scratch index
        applied = _run(top, "apply", "--cached", "--numstat", "-z", "--apply", "-", data=_bytes(diff), env=env)
        if applied.returncode != 0:
            raise _DoesNotApply(f"the diff does not apply to {base[:12]} of {top}: {_err(applied)}")
        raw = _run(top, "diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev", "--no-ext-diff", base,
                   "--", env=env)
        if raw.returncode != 0:
            raise ProposalError(f"git could not list what the diff changes in {top}: {_err(raw)}")
    named = _parse_numstat(applied.stdout)
    binary = dict(named)
    fields = _fields(raw.stdout)
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if meta.startswith(":"):
            old_mode, new_mode, _old, _new, status = meta[1:].split(" ")
            changes.append(FileChange(path, status[:1], old_mode, new_mode, binary.get(path, False)))
    return PatchFiles(tuple(sorted(changes, key=lambda c: c.path)), tuple(name for name, _ in named))


def _inspect_at(diff: str, top: Path, objects: str, base: str) -> PatchFiles:
    if not isinstance(diff, str) or not diff.strip():
        raise ProposalError("the diff is empty; give a unified diff (`git diff --binary` output)")
    if not _FULL_SHA.fullmatch(base or ""):
        return _inspect(diff, top, objects, base)
    # a full sha names immutable content, so the answer can be reused (forge, the gate and relay ask in turn)
    return _PATCHES.get((_digest(diff), str(top), base),  # type: ignore[return-value]
                        lambda: _inspect(diff, top, objects, base))


def inspect_patch(diff: str, repo: Path, base: str) -> PatchFiles:
    """What `diff` does to `base` of the repository holding `repo`; `ProposalError` if git cannot read or apply it."""
    top, objects = _locate(repo)
    try:
        return _inspect_at(diff, top, objects, base)
    except _DoesNotApply:
        read_patch_names(diff)  # git's parse error, when that is why
        raise


def files_in_diff(diff: str, repo: Path, base: str) -> list[str]:
    """The sorted file list of `diff` on `base` (renames: source and destination), as git reads it."""
    return inspect_patch(diff, repo, base).paths


def _ancestors(paths: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for path in paths:
        parts = PurePosixPath(path).parts
        found.update("/".join(parts[:n]) for n in range(1, len(parts)))
    return sorted(found)


def _tree_kinds(top: Path, base: str, parents: list[str]) -> dict[str, str]:
    """Mode of each of `parents` in `base` (absent ones left out)."""
    listed = _run(top, "ls-tree", "-z", base, "--", *parents)
    if listed.returncode != 0:
        raise ProposalError(f"git could not read {base[:12]} of {top}: {_err(listed)}")
    kinds = {}
    for entry in _fields(listed.stdout):
        if entry:
            meta, name = entry.split("\t", 1)
            kinds[name] = meta.split(" ", 1)[0]
    return kinds


def _check_tree(top: Path, base: str, paths: list[str]) -> None:
    """Refuse a path under a symlink or a submodule of `base` (what `git apply` would otherwise write through)."""
    parents = _ancestors(paths)
    if not parents:
        return
    if _FULL_SHA.fullmatch(base or ""):  # a commit's tree never changes: forge and relay ask about the same one
        kinds: dict[str, str] = _TREES.get((str(top), base, *parents),  # type: ignore[assignment]
                                            lambda: _tree_kinds(top, base, parents))
    else:
        kinds = _tree_kinds(top, base, parents)
    for path in paths:
        for parent in _ancestors([path]):
            if kinds.get(parent) == SYMLINK:
                raise UnsafePathError(f"path {path!r} goes through the symlink {parent!r} of {base[:12]}; "
                                      "a change may not write through a symlink", path=path)
            if kinds.get(parent) == GITLINK:
                raise UnsafePathError(f"path {path!r} is inside the submodule {parent!r}; change the submodule's "
                                      "own repository instead", path=path)


def check_target_paths(repo: Path, base: str, paths: list[str]) -> None:
    """The policy for plain paths about to be written in `repo` at `base` (forge checks a run's `changes` with it)."""
    top = toplevel(repo)
    normal = [check_repo_path(p) for p in paths]
    _check_tree(top, base, normal)
    for path in normal:
        check_worktree_path(top, path)


def check_patch(diff: str, repo: Path, base: str) -> PatchFiles:
    """`inspect_patch` plus the path policy; `UnsafePathError` naming the first refused path and why."""
    top, objects = _locate(repo)
    try:
        patch = _inspect_at(diff, top, objects, base)
    except _DoesNotApply:
        # git refuses `.git/...`, `../...` and paths beyond a symlink itself; say why in the policy's words
        names = read_patch_names(diff)
        for name in names:
            check_repo_path(name)
        _check_tree(top, base, names)
        raise
    for path in patch.paths:
        check_repo_path(path)
    for c in patch.changes:
        if c.new_mode == SYMLINK:
            raise UnsafePathError(f"path {c.path!r} would {'stay' if c.old_mode == SYMLINK else 'become'} a symlink "
                                  "(mode 120000); a proposal may not create or change symlinks", path=c.path)
        if GITLINK in (c.old_mode, c.new_mode):
            raise UnsafePathError(f"path {c.path!r} is a submodule (gitlink, mode 160000); a proposal may not add, "
                                  "change or remove submodules", path=c.path)
    link_removed = {c.path for c in patch.changes if c.old_mode == SYMLINK}
    for path in patch.paths:
        check_worktree_path(top, path, may_be_symlink=path in link_removed)
    return patch
