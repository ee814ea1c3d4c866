"""Private: run `git` with a neutral configuration (no hooks, no pager, stable diff prefixes)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fractalops.errors import AdapterError

__all__ = ["git", "GIT_NEUTRAL_CONFIG"]

# User/system config must not change what a workspace diff looks like or run hooks from the target repo.
GIT_NEUTRAL_CONFIG: tuple[str, ...] = (
    "-c", "core.hooksPath=/dev/null",
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
) -> subprocess.CompletedProcess:
    """Run `git <args>` in `cwd`; a failure raises `AdapterError` naming the command and git's stderr."""
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    if env:
        full_env.update(env)
    proc = subprocess.run(
        ["git", *GIT_NEUTRAL_CONFIG, *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=text,
        check=False,
    )
    if check and proc.returncode != 0:
        err = proc.stderr if text else proc.stderr.decode("utf-8", "replace")
        raise AdapterError(
            f"`git {' '.join(args)}` failed in {cwd} (exit {proc.returncode}): {err.strip()}; "
            "check that the target is a git repository with at least one commit and that the base exists"
        )
    return proc
