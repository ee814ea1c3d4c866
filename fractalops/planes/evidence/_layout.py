"""Where every Chronicle file lives under `<data_dir>/chronicle/` (private: the formats are documented in log.py)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ChronicleLayout", "flocked", "fsync_dir", "locked_dir", "shared_lock_if_exists", "write_new_file"]


@dataclass(frozen=True, slots=True)
class ChronicleLayout:
    """Paths of one Chronicle root."""

    root: Path
    """The chronicle directory itself (`<data_dir>/chronicle`)."""

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def private_key(self) -> Path:
        return self.keys_dir / "ed25519.key"

    @property
    def public_key(self) -> Path:
        return self.keys_dir / "ed25519.pub"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def log_dir(self, name: str) -> Path:
        return self.logs_dir / name

    def entries(self, name: str) -> Path:
        return self.log_dir(name) / "entries.log"

    def checkpoints(self, name: str) -> Path:
        return self.log_dir(name) / "checkpoints.log"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"


@contextmanager
def flocked(fd: int, *, exclusive: bool) -> Iterator[None]:
    """Hold an advisory `flock` on `fd` for the duration of the block."""
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def locked_dir(path: Path, *, exclusive: bool = True) -> Iterator[None]:
    """Lock a directory (exclusive for key creation and artifact puts, shared for verification)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with flocked(fd, exclusive=exclusive):
            yield
    finally:
        os.close(fd)


@contextmanager
def shared_lock_if_exists(path: Path) -> Iterator[None]:
    """Shared lock on `path` when it exists, so a reader never sees a writer's half-written batch."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        with flocked(fd, exclusive=False):
            yield
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a directory entry (a new file name) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Create `path` exclusively with `data` and `mode`, fsynced; FileExistsError if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
