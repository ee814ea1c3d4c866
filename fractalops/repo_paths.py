"""The one policy for repo-relative paths a change may touch: run input, forge's build, edits, relay's apply.

Neutral like `git_runner` (no imports beyond the error taxonomy), so the `write_changes` subprocess, the run-input
contract and the Proposal Plane all refuse the same paths with the same reasons:

- not a non-empty string; a NUL or any other control character (C0, DEL, C1), a bidi override/isolate (they make a
  name read differently to the reviewer than to git), or bytes that are not UTF-8;
- absolute (`/x`, `\\x`, `C:x`) or climbing with `..` (`\\` counts as a separator);
- a `.git` component in any case, also the spellings NTFS and HFS+ read as `.git` (`.git.`, `.git `, `git~1`,
  `.git::$DATA`, ignorable code points), whether `.git` is a directory or a file;
- (`check_worktree_path`, given the root) a parent that is a symlink, the path itself being a symlink, or a
  location that resolves outside the root.

A symlink or a gitlink in the *tree* a patch writes is judged by `fractalops.planes.proposals.patch_files`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path, PurePosixPath

from fractalops.errors import UnsafePathError

__all__ = ["path_problem", "check_repo_path", "check_worktree_path"]

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Code points HFS+ ignores when comparing names (git's is_hfs_dotgit list) plus the BOM.
_HFS_IGNORABLE = frozenset("\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u206a\u206b\u206c\u206d\u206e\u206f\ufeff")


def _is_dotgit(component: str) -> bool:
    name = "".join(ch for ch in component if ch not in _HFS_IGNORABLE)
    name = name.split(":", 1)[0].rstrip(". ").casefold()  # NTFS: streams (`:x`) and trailing dots/spaces vanish
    return name in {".git", "git~1"}


def path_problem(raw: object) -> str | None:
    """Why `raw` may not be touched by a change (a phrase that follows the quoted path), or None if it may."""
    if not isinstance(raw, str) or not raw.strip():
        return "must be a non-empty relative path string"
    if "\0" in raw:
        return "contains a NUL byte"
    for ch in raw:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            return "is not valid UTF-8"
        if unicodedata.category(ch) == "Cc":
            return f"contains the control character U+{ord(ch):04X}"
        if ch in _BIDI_CONTROLS:
            return f"contains the bidirectional control U+{ord(ch):04X}, which disguises the name"
    text = raw.replace("\\", "/")
    if text.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return "is absolute; give a path relative to the workspace root"
    parts = text.split("/")
    if ".." in parts:
        return "escapes the workspace with '..'; give a path inside it"
    if any(_is_dotgit(part) for part in parts):
        return "is inside .git (or names it); only working-tree files may change"
    if not PurePosixPath(text).parts:
        return "names the workspace root itself; give a file path"
    return None


def check_repo_path(raw: object, *, error: type[UnsafePathError] = UnsafePathError) -> str:
    """`raw` normalised (`/` separators, no `.` or empty parts) when the policy allows it; `error` otherwise."""
    problem = path_problem(raw)
    if problem:
        raise error(f"path {raw!r} {problem}", path=str(raw))
    return PurePosixPath(str(raw).replace("\\", "/")).as_posix()


def check_worktree_path(root: Path, raw: object, *, error: type[UnsafePathError] = UnsafePathError,
                        may_be_symlink: bool = False) -> Path:
    """The absolute location of `raw` under `root`, refusing a symlinked parent, a symlink itself, or an escape.

    `may_be_symlink` allows the path itself to be a symlink (deleting a tracked link writes nothing through it).
    """
    rel = check_repo_path(raw, error=error)
    root = root.resolve()
    here = root
    parts = PurePosixPath(rel).parts
    for depth, part in enumerate(parts):
        here = here / part
        last = depth == len(parts) - 1
        if here.is_symlink() and not (last and may_be_symlink):
            what = "is a symlink" if last else f"goes through the symlink {'/'.join(parts[:depth + 1])!r}"
            raise error(f"path {raw!r} {what} (-> {_readlink(here)}); a change may not write through a symlink",
                        path=str(raw))
    try:
        (here.parent.resolve() / here.name).relative_to(root)
    except ValueError:
        raise error(f"path {raw!r} resolves outside the workspace {root}", path=str(raw)) from None
    return here


def _readlink(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return "?"
