"""Apply a workspace-patch proposal to its target git repo: exactly the files it lists, exactly once, never onto a
moved target.

The rules, in order, under a per-target file lock:
1. a commit whose message carries `Fractalops-Proposal: <id>` already exists -> it was applied; report that commit.
2. the target's HEAD moved past the proposal's `base_commit` -> stale (Atlantis's "undiverged" rule): re-base the diff
   onto the new HEAD in a scratch worktree and send it back to review; never apply it unreviewed.
3. git reads the diff again (`patch_files.check_patch`): the paths it touches must be exactly the payload's `files`,
   and each must pass the path policy; otherwise `ProposalError` naming the strays, and nothing is written.
4. the target must be clean where the patch writes and hold nothing staged (relay commits the index); the user's
   other uncommitted work and untracked files are left as they are.
5. `git apply --index`; the index must then differ from HEAD in exactly the listed files; the index is committed
   with the proposal id; the commit must hold exactly the listed files and `git status` must show nothing beyond
   what it showed before. On any mismatch everything the apply did is rolled back (HEAD, and the index entries
   and files of the paths it touched, never a path the user had changed) and a `ProposalError` names the strays.
A crash after the apply but before the commit is recognised on replay (the index holds exactly the listed files and
the reverse patch applies cleanly) and only the commit is made.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fractalops import git_runner as _git
from fractalops.errors import ProposalError, UnsafePathError
from fractalops.planes.proposals.model import Proposal
from fractalops.planes.proposals.patch_files import check_patch, files_in_diff, toplevel

__all__ = ["ApplyOutcome", "PROPOSAL_TRAILER", "apply_workspace_patch", "find_applied_commit", "target_lock", "git"]

PROPOSAL_TRAILER = "Fractalops-Proposal"
_RELAY_IDENTITY = ["-c", "user.name=fractalops relay", "-c", "user.email=relay@fractalops.invalid",
                   "-c", "commit.gpgsign=false"]


@dataclass(frozen=True)
class ApplyOutcome:
    status: Literal["applied", "already_applied", "stale"]
    commit: str = ""
    reason: str = ""
    rebased: dict | None = None
    """For `stale`: the payload re-based onto the moved HEAD (None when it no longer applies)."""


def git(repo: Path, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _git.git(repo, *args, input=input, check=check, error=ProposalError)


@contextmanager
def target_lock(lock_dir: Path, target: str) -> Iterator[None]:
    """Serialize every proposal that touches the same target (across threads and processes)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / (hashlib.sha256(target.encode()).hexdigest()[:24] + ".lock")
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def find_applied_commit(repo: Path, proposal_id: str) -> str:
    found = git(repo, "log", "--format=%H", "-n", "1", "--fixed-strings", f"--grep={PROPOSAL_TRAILER}: {proposal_id}", "HEAD", check=False)
    return found.stdout.strip() if found.returncode == 0 else ""


def _rebase(repo: Path, payload: dict, head: str) -> dict | None:
    with tempfile.TemporaryDirectory(prefix="fractalops-rebase-") as scratch:
        tree = Path(scratch) / "tree"
        git(repo, "worktree", "add", "--detach", str(tree), head)
        try:
            if git(tree, "apply", "--3way", "--index", "-", input=payload["diff"], check=False).returncode != 0:
                return None
            diff = git(tree, "diff", "--no-ext-diff", "--no-textconv", "--cached", "--binary", head).stdout
        finally:
            git(repo, "worktree", "remove", "--force", str(tree), check=False)
            git(repo, "worktree", "prune", check=False)
    return {**payload, "diff": diff, "base_commit": head, "files": files_in_diff(diff, repo, head)}


def _z(out: bytes) -> list[str]:
    return [f.decode("utf-8", "surrogateescape") for f in out.split(b"\0") if f]


def _zgit(repo: Path, *args: str) -> list[str]:
    return _z(_git.git(repo, "--literal-pathspecs", *args, text=False, error=ProposalError).stdout)


def _status(repo: Path) -> dict[str, str]:
    """`git status` as {path: XY}: staged, unstaged and untracked (every file, not just its directory)."""
    entries = _zgit(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    return {entry[3:]: entry[:2] for entry in entries}


def _staged(repo: Path, against: str = "HEAD") -> set[str]:
    return set(_zgit(repo, "diff", "--cached", "--name-only", "-z", "--no-renames", against, "--"))


def _listed(proposal: Proposal) -> list[str]:
    files = proposal.payload.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise ProposalError(f"proposal {proposal.id} lists no files (payload `files` must be a non-empty list of "
                            f"repo-relative paths, got {files!r}); it cannot be applied")
    return sorted(set(files))


def _touches(paths: set[str], entries: dict[str, str]) -> list[str]:
    """Entries at one of `paths` or at one of their parent directories."""
    hits = set()
    for path in paths:
        parts = path.split("/")
        hits.update(p for p in ("/".join(parts[:n]) for n in range(1, len(parts) + 1)) if p in entries)
    return sorted(hits)


def _check_exact(pid: str, touched: list[str], listed: list[str]) -> None:
    if touched != listed:
        extra, missing = sorted(set(touched) - set(listed)), sorted(set(listed) - set(touched))
        raise ProposalError(
            f"refusing to apply {pid}: git reads its diff as touching {touched}, but it lists {listed}"
            + (f"; not listed: {extra}" if extra else "") + (f"; listed but untouched: {missing}" if missing else "")
            + "; nothing was written. Reject it, or edit it so its file list is what the diff does")


def _roll_back(repo: Path, old_head: str, paths: set[str], before: dict[str, str]) -> str:
    """Undo what the apply did to `paths` (and HEAD); paths the user had changed are never touched."""
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    if head != old_head:
        git(repo, "update-ref", "-m", "fractalops relay: roll back a refused apply", "HEAD", old_head, head)
    ours = sorted(p for p in paths if p not in before)
    if ours:
        in_base = set(_zgit(repo, "ls-tree", "-r", "-z", "--name-only", "--full-tree", old_head, "--", *ours))
        if restore := [p for p in ours if p in in_base]:
            git(repo, "--literal-pathspecs", "checkout", "-q", old_head, "--", *restore)
        if created := [p for p in ours if p not in in_base]:
            git(repo, "update-index", "--force-remove", "--", *created)
            for path in created:
                _remove_created(repo, path)
    now = _status(repo)
    left = {p: xy for p, xy in now.items() if before.get(p) != xy} | {p: "gone" for p in before if p not in now}
    return f"; the rollback left {sorted(left)} differing from before, check them by hand" if left else ""


def _remove_created(repo: Path, path: str) -> None:
    target = repo / path
    if target.is_symlink() or target.is_file():
        target.unlink()
    parent = target.parent
    while parent != repo and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _verify(repo: Path, pid: str, old_head: str, listed: list[str], before: dict[str, str]) -> None:
    """After the commit: it holds exactly `listed`, and the tree and index hold nothing else new."""
    committed = sorted(_zgit(repo, "diff-tree", "-r", "-z", "--no-renames", "--name-only", "--no-commit-id",
                             old_head, "HEAD", "--"))
    after = _status(repo)
    strays = sorted(set(committed) ^ set(listed)) + _touches(set(listed), after)
    strays += [p for p, xy in after.items() if p not in listed and before.get(p) != xy]
    if strays:
        raise ProposalError(f"applying {pid} to {repo} left {sorted(set(strays))} beyond the files it lists {listed}")


def apply_workspace_patch(proposal: Proposal, *, lock_dir: Path, approvers: list[str]) -> ApplyOutcome:
    """Apply an approved workspace patch; idempotent and safe to replay after a crash."""
    payload = proposal.payload
    repo = toplevel(Path(proposal.target))  # git applies paths from the top; a sub-directory target would drop some
    with target_lock(lock_dir, proposal.target):
        if commit := find_applied_commit(repo, proposal.id):
            return ApplyOutcome("already_applied", commit=commit)
        head = git(repo, "rev-parse", "HEAD").stdout.strip()
        if head != payload["base_commit"]:
            return ApplyOutcome(
                "stale",
                reason=f"target {repo} moved from {payload['base_commit'][:12]} to {head[:12]}",
                rebased=_rebase(repo, payload, head),
            )
        diff, listed = payload["diff"], _listed(proposal)
        try:
            touched = check_patch(diff, repo, head).paths
        except UnsafePathError as exc:
            raise ProposalError(f"refusing to apply {proposal.id}: {exc}; nothing was written") from exc
        _check_exact(proposal.id, touched, listed)
        before = _status(repo)
        staged = _staged(repo)
        replay = staged == set(listed) and git(repo, "apply", "--index", "--reverse", "--check", "-", input=diff,
                                               check=False).returncode == 0
        if not replay:
            if staged:
                raise ProposalError(f"{repo} has staged changes ({sorted(staged)}); relay commits the index, so commit "
                                    f"or unstage them, then resume the thread to apply {proposal.id}")
            if dirty := _touches(set(listed), before):
                raise ProposalError(f"{repo} has uncommitted changes where {proposal.id} writes ({dirty}); commit, "
                                    "stash or discard them, then resume the thread to apply it")
            applied = git(repo, "apply", "--index", "-", input=diff, check=False)  # all or nothing
            if applied.returncode != 0:
                return ApplyOutcome("stale", reason=f"the patch no longer applies to the working tree of {repo}: "
                                                    f"{applied.stderr.strip()[:300]}")
        message = (
            f"{proposal.title or proposal.kind} ({proposal.author_agent})\n\n"
            f"{PROPOSAL_TRAILER}: {proposal.id}\n"
            f"Fractalops-Content-Hash: {proposal.content_hash}\n"
            f"Fractalops-Approved-By: {', '.join(approvers) or 'policy'}\n"
            + (f"Fractalops-Requested-By: {proposal.requester}\n" if proposal.requester else "")
            + (f"Fractalops-Edited-By: {', '.join(proposal.editors)}\n" if proposal.editors else "")
        )
        try:
            if (now := sorted(_staged(repo))) != listed:
                raise ProposalError(f"applying {proposal.id} staged {now}, not the files it lists {listed}")
            git(repo, *_RELAY_IDENTITY, "commit", "--no-verify", "-q", "-m", message)
            _verify(repo, proposal.id, head, listed, before)
        except ProposalError as exc:
            touched_now = set(listed) | set(_staged(repo, head)) | {p for p, xy in _status(repo).items()
                                                                     if before.get(p) != xy}
            left = _roll_back(repo, head, touched_now, {p: xy for p, xy in before.items() if p not in listed})
            raise ProposalError(f"{exc}; the apply was rolled back, nothing was committed{left}") from exc
        return ApplyOutcome("applied", commit=git(repo, "rev-parse", "HEAD").stdout.strip())
