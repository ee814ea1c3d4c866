"""Apply a workspace-patch proposal to its target git repo: exactly once, never onto a moved target.

The rules, in order, under a per-target file lock:
1. a commit whose message carries `Fractalops-Proposal: <id>` already exists -> it was applied; report that commit.
2. the target's HEAD moved past the proposal's `base_commit` -> stale (Atlantis's "undiverged" rule): re-base the diff
   onto the new HEAD in a scratch worktree and send it back to review; never apply it unreviewed.
3. `git apply --index` then a commit carrying the proposal id. A crash after the apply but before the commit is
   recognised on replay (the reverse patch applies cleanly) and only the commit is made.
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
from fractalops.errors import ProposalError
from fractalops.planes.proposals.model import Proposal

__all__ = ["ApplyOutcome", "PROPOSAL_TRAILER", "apply_workspace_patch", "find_applied_commit", "target_lock", "git"]

PROPOSAL_TRAILER = "Fractalops-Proposal"
_RELAY_IDENTITY = ["-c", "user.name=fractalops relay", "-c", "user.email=relay@fractalops.invalid"]


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
            diff = git(tree, "diff", "--no-ext-diff", "--cached", "--binary", head).stdout
            files = [f for f in git(tree, "diff", "--no-ext-diff", "--cached", "--name-only", head).stdout.splitlines() if f]
        finally:
            git(repo, "worktree", "remove", "--force", str(tree), check=False)
            git(repo, "worktree", "prune", check=False)
    return {**payload, "diff": diff, "base_commit": head, "files": files}


def apply_workspace_patch(proposal: Proposal, *, lock_dir: Path, approvers: list[str]) -> ApplyOutcome:
    """Apply an approved workspace patch; idempotent and safe to replay after a crash."""
    repo = Path(proposal.target)
    payload = proposal.payload
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
        diff = payload["diff"]
        if git(repo, "apply", "--index", "--check", "-", input=diff, check=False).returncode == 0:
            git(repo, "apply", "--index", "-", input=diff)
        elif git(repo, "apply", "--index", "--reverse", "--check", "-", input=diff, check=False).returncode != 0:
            return ApplyOutcome("stale", reason=f"the patch no longer applies to the working tree of {repo}")
        message = (
            f"{proposal.title or proposal.kind} ({proposal.author_agent})\n\n"
            f"{PROPOSAL_TRAILER}: {proposal.id}\n"
            f"Fractalops-Content-Hash: {proposal.content_hash}\n"
            f"Fractalops-Approved-By: {', '.join(approvers) or 'policy'}\n"
            + (f"Fractalops-Requested-By: {proposal.requester}\n" if proposal.requester else "")
            + (f"Fractalops-Edited-By: {', '.join(proposal.editors)}\n" if proposal.editors else "")
        )
        files = payload.get("files") or []
        git(repo, *_RELAY_IDENTITY, "commit", "--no-verify", "-q", "-m", message, "--", *files)
        return ApplyOutcome("applied", commit=git(repo, "rev-parse", "HEAD").stdout.strip())
