"""Full, from-the-files verification of a Chronicle root.

`verify_chronicle` trusts no cache: it re-hashes every entry, rebuilds the tree, checks every checkpoint's
signature and root, the key pair, and every artifact's bytes and meta file, and flags unexpected files.
It never raises on corrupt data; it reports the problem.

`first_bad` convention (the first entry index whose evidence can no longer be trusted):
- a bad entry line (hash mismatch, partial line, bad framing): that entry's index;
- a bad checkpoint: the size of the last valid checkpoint before it (0 if none), i.e. the first entry
  that is no longer anchored by a good signature;
- a bad or missing key file: 0 (no signature can be trusted);
- a bad artifact: the lowest index of an entry of this log whose JSON contains `sha256:<hex>`, else None;
- another log's problem or an unexpected file: None.
When there are several problems, the one with the lowest `first_bad` is reported (None sorts last).
"""

from __future__ import annotations

import hashlib
import os
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from fractalops.errors import EvidenceError
from fractalops.planes.evidence._kernels import parse_lines
from fractalops.planes.evidence._keys import load_key_pair
from fractalops.planes.evidence._layout import ChronicleLayout, locked_dir, shared_lock_if_exists
from fractalops.planes.evidence.artifacts import META_SUFFIX, parse_artifact_meta
from fractalops.planes.evidence.checkpoint import SignedCheckpoint
from fractalops.planes.evidence.merkle import MerkleTree, leaf_hash
from fractalops.planes.evidence.refs import LOG_NAME_PATTERN

__all__ = ["VerifyResult", "verify_chronicle"]

_HEX_CHARS = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a full verification."""

    ok: bool
    """True only when every file under the Chronicle root checked out."""
    size: int
    """Number of entry lines found in the verified log (including a bad or partial one)."""
    first_bad: int | None
    """First untrustworthy entry index (see the module docstring for the convention)."""
    reason: str | None
    """What was wrong and where; None when ok."""


@dataclass(frozen=True, slots=True)
class _Problem:
    first_bad: int | None
    reason: str

    def sort_key(self) -> tuple[int, int]:
        return (1, 0) if self.first_bad is None else (0, self.first_bad)


@dataclass
class _LogScan:
    data: bytes
    """The whole entries file as read."""
    offsets: array[int]
    """Start of each good entry line in `data`."""
    tree: MerkleTree
    lines: int
    problems: list[_Problem]

    def entry_holding(self, needle: bytes) -> int | None:
        """Index of the first good entry whose line holds `needle` (which has no newline), else None."""
        position = self.data.find(needle)
        if position < 0:
            return None
        index = bisect_right(self.offsets, position) - 1
        return index if 0 <= index < len(self.tree) else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _scan_entries(path: Path) -> _LogScan:
    """Whole-file fast path; any doubt (a bad line anywhere) goes to the line-by-line scan that names it."""
    data = _read(path) or b""
    parsed = parse_lines(data, 0)
    if parsed is None:
        return _scan_entries_slowly(path, data)
    hashes, offsets = parsed
    tree = MerkleTree()
    tree.extend_packed(hashes)
    return _LogScan(data=data, offsets=array("q", offsets), tree=tree, lines=len(tree), problems=[])


def _scan_entries_slowly(path: Path, data: bytes) -> _LogScan:
    """Line by line, to name the first bad entry."""
    lines = data.splitlines(keepends=True)
    scan = _LogScan(data=data, offsets=array("q"), tree=MerkleTree(), lines=len(lines), problems=[])
    hashes = []
    offset = 0
    for index, line in enumerate(lines):
        body = line[65:-1]
        stored = line[:64]
        if not line.endswith(b"\n"):
            scan.problems.append(_Problem(index, f"{path}: entry {index} is a partial line (torn write)"))
            break
        if line[64:65] != b" " or not _HEX_CHARS.issuperset(stored.decode("latin-1")):
            scan.problems.append(_Problem(index, f"{path}: entry {index} is not '<leaf hash> <json>'"))
            break
        h = leaf_hash(body)
        if stored != h.hex().encode("ascii"):
            scan.problems.append(_Problem(index, f"{path}: entry {index} does not match its stored leaf hash"))
            break
        if not (body.startswith(b"{") and body.endswith(b"}")):
            scan.problems.append(_Problem(index, f"{path}: entry {index} is not a JSON object"))
            break
        scan.offsets.append(offset)
        offset += len(line)
        hashes.append(h)
    scan.tree.extend(hashes)
    if not scan.problems and len(hashes) != len(lines):  # pragma: no cover - defensive
        scan.problems.append(_Problem(len(hashes), f"{path}: unreadable entry {len(hashes)}"))
    return scan


def _check_checkpoints(path: Path, name: str, scan: _LogScan, keys: _KeyState) -> list[_Problem]:
    data = _read(path)
    if not data:
        return [] if data is None else [_Problem(0, f"{path} exists but is empty")]
    public = keys.current()
    if public is None:
        return [_Problem(0, f"{path}: checkpoints exist but the key pair is missing or invalid")]
    anchored, previous = 0, None
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        where = f"{path} line {number}"
        try:
            if not line.endswith(b"\n"):
                raise EvidenceError("partial line (torn write)")
            cp = SignedCheckpoint.from_line(line)
            if cp.log != name:
                raise EvidenceError(f"signed for log {cp.log!r}, not {name!r}")
            if not cp.verify(public):
                raise EvidenceError("signature does not verify with the stored public key")
            if previous is not None and (cp.size < previous.size or cp.timestamp < previous.timestamp):
                raise EvidenceError("size or timestamp goes backwards")
        except EvidenceError as exc:
            return [_Problem(anchored, f"{where}: {exc}")]
        if cp.size > len(scan.tree):
            if scan.problems:
                return []  # the entry problem is already the earlier, reported cause
            return [_Problem(anchored, f"{where}: signs size {cp.size} but the log holds {len(scan.tree)} entries")]
        if scan.tree.root(cp.size).hex() != cp.root:
            return [_Problem(anchored, f"{where}: signed root differs from the root recomputed at size {cp.size}")]
        anchored, previous = cp.size, cp
    return []


def _check_keys(layout: ChronicleLayout) -> tuple[bytes | None, list[_Problem]]:
    if not layout.keys_dir.exists():
        return None, []
    names = sorted(os.listdir(layout.keys_dir))
    problems = [
        _Problem(None, f"unexpected file {layout.keys_dir / n}")
        for n in names
        if n not in (layout.private_key.name, layout.public_key.name)
    ]
    if not names:
        return None, problems
    try:
        return load_key_pair(layout).public, problems
    except EvidenceError as exc:
        return None, [_Problem(0, str(exc)), *problems]


class _KeyState:
    """The key pair as seen under the keys-dir lock; re-read once if it was absent (keys only ever appear)."""

    def __init__(self, layout: ChronicleLayout) -> None:
        self.layout = layout
        self.public: bytes | None = None
        self.problems: list[_Problem] = []
        self._check()

    def _check(self) -> None:
        if self.layout.keys_dir.is_dir():
            with locked_dir(self.layout.keys_dir, exclusive=False):
                self.public, self.problems = _check_keys(self.layout)

    def current(self) -> bytes | None:
        """Call with a log's shared lock held: its checkpoints were written after the keys existed."""
        if self.public is None and not self.problems:
            self._check()
        return self.public


def _check_artifacts(layout: ChronicleLayout, scan: _LogScan) -> list[_Problem]:
    directory = layout.artifacts_dir
    if not directory.exists():
        return []
    names = set(os.listdir(directory))
    problems: list[_Problem] = []

    def referencing_entry(sha256: str) -> int | None:
        return scan.entry_holding(f"sha256:{sha256}".encode("ascii"))

    for name in sorted(names):
        sha256 = name.removesuffix(META_SUFFIX)
        if len(sha256) != 64 or not _HEX_CHARS.issuperset(sha256):
            problems.append(_Problem(None, f"unexpected file {directory / name} in the artifact store"))
            continue
        if name.endswith(META_SUFFIX):
            if sha256 not in names:
                problems.append(_Problem(referencing_entry(sha256), f"{directory / name}: artifact bytes missing"))
            continue
        data = (directory / name).read_bytes()
        meta = _read(directory / (name + META_SUFFIX))
        try:
            if hashlib.sha256(data).hexdigest() != sha256:
                raise EvidenceError("bytes do not hash to the file name")
            if meta is None:
                raise EvidenceError("meta file missing")
            if parse_artifact_meta(meta, sha256).size != len(data):
                raise EvidenceError("meta size differs from the file size")
        except EvidenceError as exc:
            problems.append(_Problem(referencing_entry(sha256), f"artifact {directory / name}: {exc}"))
    return problems


def _check_logs(layout: ChronicleLayout, name: str) -> tuple[_LogScan, list[_Problem]]:
    problems: list[_Problem] = []
    with shared_lock_if_exists(layout.entries(name)):
        keys = _KeyState(layout)
        own = _scan_entries(layout.entries(name))
        problems += own.problems
        problems += _check_checkpoints(layout.checkpoints(name), name, own, keys)
    if layout.logs_dir.exists():
        for other in sorted(os.listdir(layout.logs_dir)):
            log_dir = layout.log_dir(other)
            if not re.fullmatch(LOG_NAME_PATTERN, other) or not log_dir.is_dir():
                problems.append(_Problem(None, f"unexpected file {log_dir}"))
                continue
            extra = set(os.listdir(log_dir)) - {"entries.log", "checkpoints.log"}
            problems += [_Problem(None, f"unexpected file {log_dir / n}") for n in sorted(extra)]
            if other == name:
                continue
            with shared_lock_if_exists(layout.entries(other)):
                scan = _scan_entries(layout.entries(other))
                found = scan.problems + _check_checkpoints(layout.checkpoints(other), other, scan, keys)
            problems += [_Problem(None, f"log {other!r}: {p.reason}") for p in found]
    return own, keys.problems + problems


def _unexpected_top_level(layout: ChronicleLayout) -> list[_Problem]:
    known = {"keys", "logs", "artifacts"}
    return [_Problem(None, f"unexpected file {layout.root / n}") for n in sorted(set(os.listdir(layout.root)) - known)]


def verify_chronicle(root: Path, name: str = "main") -> VerifyResult:
    """Verify log `name` and everything it shares a Chronicle root with; never raises on corrupt data."""
    layout = ChronicleLayout(Path(root))
    if not layout.root.exists():
        return VerifyResult(ok=True, size=0, first_bad=None, reason=None)
    size = 0
    try:
        own, problems = _check_logs(layout, name)
        size = own.lines
        if layout.artifacts_dir.is_dir():
            with locked_dir(layout.artifacts_dir, exclusive=False):
                problems += _check_artifacts(layout, own)
        else:
            problems += _check_artifacts(layout, own)
        problems += _unexpected_top_level(layout)
    except OSError as exc:
        problems = [_Problem(None, f"cannot read {exc.filename}: {exc.strerror}")]
    if not problems:
        return VerifyResult(ok=True, size=size, first_bad=None, reason=None)
    problems.sort(key=_Problem.sort_key)
    first = problems[0]
    more = f" (+{len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return VerifyResult(ok=False, size=size, first_bad=first.first_bad, reason=first.reason + more)
