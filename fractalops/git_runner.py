"""Private: run `git` with a neutral configuration (no hooks, no pager, stable diff prefixes).

Shared by the adapters (isolated workspaces) and the Proposal Plane (relay's apply), so neither runs a target
repo's hooks or inherits a user's diff settings; each passes the error family its callers expect.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fractalops.errors import FractalOpsError

__all__ = ["git", "GIT_NEUTRAL_CONFIG"]

# User/system config must not change what a workspace diff looks like or run hooks from the target repo.
GIT_NEUTRAL_CONFIG: tuple[str, ...] = (
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.fsmonitor=false",  # a target's .git/config could name a command to run on every status/diff
    "-c", "core.autocrlf=false",
    "-c", "core.quotePath=true",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.renames=false",
    "-c", "diff.external=",
    "-c", "advice.detachedHead=false",
    "-c", "gc.auto=0",
)


def git(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    check: bool = True,
    text: bool = True,
    input: str | None = None,
    error: type[FractalOpsError] = FractalOpsError,
) -> subprocess.CompletedProcess:
    """Run `git <args>` in `cwd`; a failure raises `error` naming the command and git's stderr."""
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    if env:
        full_env.update(env)
    proc = subprocess.run(
        ["git", *GIT_NEUTRAL_CONFIG, *args],
        cwd=cwd,
        env=full_env,
        stdin=None if input is not None else subprocess.DEVNULL,
        input=input,
        capture_output=True,
        text=text,
        check=False,
    )
    if check and proc.returncode != 0:
        err = proc.stderr if text else proc.stderr.decode("utf-8", "replace")
        raise error(
            f"`git {' '.join(args)}` failed in {cwd} (exit {proc.returncode}): {err.strip()}; "
            "check that the target is a git repository with at least one commit and that the base exists"
        )
    return proc
