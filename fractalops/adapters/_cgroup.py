"""A cgroup v2 per adapter run, so that ending the run ends every process it started.

A process group is not enough: a CLI (or anything it runs) can call `setsid()` and leave the group. Cgroup
membership is inherited across fork and cannot be left without write access to the cgroup tree, and writing
`1` to `cgroup.kill` (Linux >= 5.14) SIGKILLs every member at once, escapees included.

The run's first process moves itself into the cgroup before it execs the real program
(`sh -c 'echo $$ > …/cgroup.procs && exec "$@"'`), so nothing it forks is ever outside, and the program keeps
its pid, its argv and its exit status. Where no writable cgroup v2 hierarchy with `cgroup.kill` exists (not
root, cgroup v1 only, an older kernel) runs fall back to the process group; `ProcessResult.containment` says
which one held. FRACTALOPS_ADAPTER_CGROUP=off disables it; a path selects the cgroup v2 directory to use.
"""

from __future__ import annotations

import errno
import functools
import os
import time
import uuid
from pathlib import Path

__all__ = ["RunCgroup", "cgroup_base"]

_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))  # pure v2, then the v2 part of a hybrid setup
_MOVE_SELF = 'echo $$ > "$0" && exec "$@"'


@functools.lru_cache(maxsize=1)
def cgroup_base() -> Path | None:
    """The directory run cgroups are made in (`<cgroup v2 root>/fractalops`), or None when unusable here."""
    setting = os.environ.get("FRACTALOPS_ADAPTER_CGROUP", "").strip()
    if setting.lower() in {"0", "off", "false", "no"}:
        return None
    candidates = [Path(setting)] if setting else [root / "fractalops" for root in _ROOTS]
    for base in candidates:
        if not (base.parent / "cgroup.procs").is_file():
            continue
        try:
            base.mkdir(exist_ok=True)
            probe = base / f"probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            probe.mkdir()
            try:
                usable = (probe / "cgroup.kill").exists() and (probe / "cgroup.procs").is_file()
            finally:
                probe.rmdir()
        except OSError:
            continue
        if usable:
            _sweep_orphans(base)
            return base
    return None


def _sweep_orphans(base: Path) -> None:
    """Kill and remove run cgroups whose creating process is gone (a server that was SIGKILLed mid-run);
    runs once per process, with the first adapter run.

    A run cgroup is named `run-<creator pid>-<id>`; while that pid lives, its runs are its own business.
    """
    for path in base.glob("run-*"):
        try:
            creator = int(path.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if creator != os.getpid() and not Path(f"/proc/{creator}").exists():
            RunCgroup(path).remove()


class RunCgroup:
    """One run's cgroup: `wrap` the argv, `kill` everything in it, `remove` it when the run is over."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls) -> RunCgroup | None:
        """A fresh cgroup under `cgroup_base()`, or None when cgroups are unavailable (process group only)."""
        base = cgroup_base()
        if base is None:
            return None
        path = base / f"run-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
        except OSError:
            return None
        return cls(path)

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv`, started inside this cgroup (same pid, argv and exit status once it execs)."""
        return ["/bin/sh", "-c", _MOVE_SELF, str(self.path / "cgroup.procs"), *argv]

    def populated(self) -> bool:
        """Any live process in the cgroup (zombies are not members)."""
        try:
            return b"populated 1" in (self.path / "cgroup.events").read_bytes()
        except OSError:
            return False

    def kill(self) -> bool:
        """SIGKILL every member; True when there was one."""
        if not self.populated():
            return False
        try:
            (self.path / "cgroup.kill").write_bytes(b"1")
        except OSError:
            return False
        return True

    def remove(self, timeout_s: float = 1.0) -> None:
        """Kill what is left, wait for the kernel to empty the cgroup, and remove it."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.kill()
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY or time.monotonic() >= deadline:
                    return  # left for the operator: a member stuck in uninterruptible sleep
            time.sleep(0.01)
