"""The per-entry loops of the Chronicle log, compiled when `_speedups` was built, else in Python.

`PYTHON` and `COMPILED` (None when the extension is absent) are the two implementations; the module-level
names are the one in use. Both return the same bytes for the same input (tested side by side); the compiled
one hashes with OpenSSL's SHA-256, with no Python object per entry.

Formats (see log.py for the file format): `hashes` are leaf or node hashes packed 32 bytes each; `offsets`
are native int64 line starts, packed (load them with `array("q").frombytes`).
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate, chain
from types import ModuleType
from typing import Any

__all__ = [
    "COMPILED",
    "HASH_SIZE",
    "IMPLEMENTATION",
    "PYTHON",
    "Kernels",
    "frame_lines",
    "is_plain",
    "leaf_hashes",
    "node_level",
    "parse_lines",
]

HASH_SIZE = 32
_FRAMING = 66  # 64 hex chars, a space and a newline around each body
_LEAF_PREFIX = hashlib.sha256(b"\x00")
_NODE_PREFIX = hashlib.sha256(b"\x01")


@dataclass(frozen=True, slots=True)
class Kernels:
    name: str
    frame_lines: Callable[[Any, bytes, int], tuple[bytes, bytes, bytes]]
    """(bodies separated by `sep`, sep, first line offset) -> (entry lines, leaf hashes, line offsets)."""
    parse_lines: Callable[[Any, int], tuple[bytes, bytes] | None]
    """(whole entry lines, offset of the first) -> (leaf hashes, line offsets), None if any line is bad."""
    node_level: Callable[[Any], bytes]
    """Packed hashes -> SHA-256(0x01 || left || right) of each consecutive pair (an odd last one waits)."""
    is_plain: Callable[[Any], bool]
    """True when every value at every depth (<= 255) is exactly a dict with str keys, list, tuple, str, int,
    bool or None."""


def leaf_hashes(bodies: Iterable[bytes]) -> list[bytes]:
    """`[leaf_hash(d) for d in bodies]` without concatenating each one (copies a hasher primed with 0x00)."""
    out: list[bytes] = []
    append, copy = out.append, _LEAF_PREFIX.copy
    for body in bodies:
        h = copy()
        h.update(body)
        append(h.digest())
    return out


def _offsets(base: int, lengths: list[int]) -> bytes:
    starts = array("q", accumulate(map(_FRAMING.__add__, lengths), initial=base))
    starts.pop()
    return starts.tobytes()


def _frame_lines(buf: Any, sep: bytes, base: int) -> tuple[bytes, bytes, bytes]:
    if not sep:
        raise ValueError("empty separator")
    data = bytes(buf)
    bodies = data.split(sep) if data else []
    hashes = leaf_hashes(bodies)
    parts: list[bytes] = [b"", b" ", b"", b"\n"] * len(bodies)  # <hex> <body>\n per entry, one join
    parts[0::4] = [h.hex().encode("ascii") for h in hashes]
    parts[2::4] = bodies
    return b"".join(parts), b"".join(hashes), _offsets(base, list(map(len, bodies)))


def _parse_lines(buf: Any, base: int) -> tuple[bytes, bytes] | None:
    data = bytes(buf)
    lines = data.split(b"\n")
    if lines.pop():  # the buffer must end with a newline (b"" after the last one)
        return None
    bodies = [line[65:] for line in lines]
    hashes = leaf_hashes(bodies)
    # The first 66 bytes of the lines, joined, must be the leaf hashes in hex, each followed by " {";
    # the last bytes of the lines, joined, must all be "}"; no body shorter than "{}".
    heads = b"".join([line[:66] for line in lines])
    expected = (b"".join(hashes).hex(" ", HASH_SIZE) + " ").replace(" ", " {").encode("ascii") if hashes else b""
    if heads != expected or b"".join([line[-1:] for line in lines]) != b"}" * len(lines):
        return None
    if any(len(body) < 2 for body in bodies):
        return None
    return b"".join(hashes), _offsets(base, list(map(len, bodies)))


def _node_level(buf: Any) -> bytes:
    view = memoryview(buf).cast("B")
    out: list[bytes] = []
    append, copy = out.append, _NODE_PREFIX.copy
    for start in range(0, len(view) - 2 * HASH_SIZE + 1, 2 * HASH_SIZE):
        h = copy()
        h.update(view[start : start + 2 * HASH_SIZE])
        append(h.digest())
    return b"".join(out)


_SCALARS = frozenset({str, int, bool, type(None)})
_SEQUENCES = frozenset({list, tuple})
_CONTAINERS = _SEQUENCES | {dict}
_PLAIN = _SCALARS | _CONTAINERS
_MAX_DEPTH = 255


def _is_plain(values: Any) -> bool:
    """Level by level, a few C-level passes per nesting level (no Python frame per value)."""
    level = list(values)
    for _ in range(_MAX_DEPTH - 1):
        kinds = set(map(type, level))
        if kinds <= _SCALARS:
            return True
        if not kinds <= _PLAIN:
            return False
        dicts = [v for v in level if type(v) is dict] if dict in kinds else []
        if dicts and not set(map(type, chain.from_iterable(dicts))) <= {str}:
            return False
        seqs = [v for v in level if type(v) is list or type(v) is tuple] if kinds & _SEQUENCES else []
        level = list(chain(chain.from_iterable(map(dict.values, dicts)), chain.from_iterable(seqs)))
    return not level or set(map(type, level)) <= _SCALARS


PYTHON = Kernels("python", _frame_lines, _parse_lines, _node_level, _is_plain)


def _compiled() -> Kernels | None:
    try:
        from fractalops.planes.evidence import _speedups  # type: ignore[attr-defined]
    except ImportError:
        return None
    module: ModuleType = _speedups
    return Kernels("compiled", module.frame_lines, module.parse_lines, module.node_level, module.is_plain)


COMPILED = _compiled()
_IN_USE = PYTHON if os.environ.get("FRACTALOPS_EVIDENCE_KERNELS") == "python" else (COMPILED or PYTHON)
IMPLEMENTATION = _IN_USE.name
"""`compiled` or `python`: which kernels this process uses (FRACTALOPS_EVIDENCE_KERNELS=python forces the
Python ones, e.g. to compare both on the same data)."""
frame_lines = _IN_USE.frame_lines
parse_lines = _IN_USE.parse_lines
node_level = _IN_USE.node_level
is_plain = _IN_USE.is_plain
