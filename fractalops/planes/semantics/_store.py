"""Durable N-Triples files: validate first, then write-rename, so nothing is ever half-written.

Not public API.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import Graph

from fractalops.planes._atomic import atomic_write_text

__all__ = ["atomic_write_text", "write_graph", "read_graph", "file_lock", "stamp"]


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
