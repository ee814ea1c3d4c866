"""Durable N-Triples files: validate first, then write-rename, so nothing is ever half-written.

Not public API.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import Graph

__all__ = ["atomic_write_text", "write_graph", "read_graph", "file_lock", "stamp"]


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` via a fsynced temp file and `os.replace` (all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_graph(path: Path, graph: Graph, fmt: str = "nt") -> None:
    """Serialize `graph` (sorted N-Triples by default, so files diff cleanly) and write it atomically."""
    text = graph.serialize(format=fmt)
    if fmt == "nt":
        text = "".join(sorted(line + "\n" for line in text.splitlines() if line.strip()))
    atomic_write_text(path, text)


def read_graph(path: Path, fmt: str = "nt") -> Graph:
    graph = Graph()
    if path.exists():
        graph.parse(path, format=fmt)
    return graph


def stamp(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size) of `path`, or None when absent: every write-rename makes a new inode, so a
    reader can tell that another handle or process wrote it."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (one writer across processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
