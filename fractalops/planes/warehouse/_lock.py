"""Single-writer lock for an embedded (chdb) warehouse path: a pid lock file held with `flock`.

The kernel releases `flock` when the owner dies, so a lock file left by a dead pid is simply taken over;
the pid and command line written into the file only exist to name the owner in the error.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from fractalops.errors import WarehouseOwnedError

__all__ = ["LOCK_FILE_NAME", "OwnerInfo", "OwnerLock", "read_owner"]

LOCK_FILE_NAME = "fractalops-owner.lock"


@dataclass(frozen=True)
class OwnerInfo:
    """Who holds (or last held) a warehouse path."""

    pid: int | None
    """Process id written by the owner; None if the file is empty or unreadable."""
    command: str
    """The owner's command line (from /proc when it is alive, else as recorded)."""
    since: float | None
    """Unix time the owner took the lock."""


def _command_of(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def read_owner(lock_path: Path) -> OwnerInfo:
    """Parse the owner record in a lock file (best effort; never raises)."""
    try:
        record = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        record = {}
    pid = record.get("pid") if isinstance(record.get("pid"), int) else None
    command = (_command_of(pid) if pid else "") or str(record.get("command", ""))
    since = record.get("since") if isinstance(record.get("since"), int | float) else None
    return OwnerInfo(pid=pid, command=command, since=since)


class OwnerLock:
    """Exclusive, process-level ownership of one warehouse directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / LOCK_FILE_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise `WarehouseOwnedError` naming the live owner."""
        if self._fd is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            owner = read_owner(self.path)
            who = f"pid {owner.pid}" if owner.pid else "another process"
            cmd = f" ({owner.command})" if owner.command else ""
            raise WarehouseOwnedError(
                f"warehouse at {self.directory} is owned by {who}{cmd}: the embedded chdb warehouse allows one "
                f"process per path and the LangGraph server is its single writer. Stop that process (e.g. the "
                f"`langgraph dev` server) and retry, go through the server, or set FRACTALOPS_CLICKHOUSE_URL to "
                f"use a ClickHouse server.",
                path=str(self.directory),
                owner_pid=owner.pid,
            ) from None
        record = {"pid": os.getpid(), "command": " ".join(sys.argv), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock; the file stays (its content is informative only)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
