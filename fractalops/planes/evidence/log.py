"""`ChronicleLog`: an append-only, durable RFC 6962 Merkle log of JSON evidence entries.

On-disk format v1 (all under `<data_dir>/chronicle/`):

- `logs/<name>/entries.log`: one line per entry, `<64 lowercase hex leaf hash> <canonical JSON>\\n`.
  The leaf is the canonical JSON bytes; its hash is SHA-256(0x00 || leaf). The stored hash and the stored
  JSON are redundant on purpose: a changed byte in either (or in a newline) breaks their agreement.
- `logs/<name>/checkpoints.log`: one canonical-JSON `SignedCheckpoint` per line.
- `keys/ed25519.key` (mode 0600) and `keys/ed25519.pub`: raw keys as lowercase hex plus a newline.
- `artifacts/`: the WORM artifact store (see `artifacts.py`).

One process writes at a time: appends and checkpoints hold an exclusive `flock` on `entries.log`;
readers take a shared lock while they catch up, so they never see a half-written batch.
"""

from __future__ import annotations

import json
import os
import threading
import time
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fractalops.errors import EvidenceError
from fractalops.planes.evidence._canonical import canonical_json_joined
from fractalops.planes.evidence._kernels import frame_lines, parse_lines
from fractalops.planes.evidence._keys import load_key_pair, load_or_create_key_pair
from fractalops.planes.evidence._layout import ChronicleLayout, flocked, fsync_dir
from fractalops.planes.evidence.artifacts import ArtifactStore
from fractalops.planes.evidence.bundle import EntryBundle, build_bundle
from fractalops.planes.evidence.checkpoint import SignedCheckpoint
from fractalops.planes.evidence.merkle import HASH_SIZE, MerkleTree, leaf_hash
from fractalops.planes.evidence.refs import EvidenceRef, EvidenceRefs, check_log_name
from fractalops.planes.evidence.verify import VerifyResult, verify_chronicle

__all__ = ["ChronicleLog"]


class ChronicleLog:
    """One named Merkle log under a Chronicle root directory."""

    def __init__(self, root: Path, name: str = "main", *, readonly: bool = False) -> None:
        self.root = Path(root)
        """The chronicle directory (`<data_dir>/chronicle`)."""
        self.name = check_log_name(name)
        """The log's name; it is part of every ref and every checkpoint."""
        self.readonly = readonly
        """Readers (the CLI) never create files or take the write lock."""
        self._layout = ChronicleLayout(self.root)
        self._entries_path = self._layout.entries(name)
        self._checkpoints_path = self._layout.checkpoints(name)
        self._tree = MerkleTree()
        self._offsets = array("q")  # start of each entry line in entries.log
        self._end = 0
        self._fd: int | None = None
        self._load_error: str | None = None
        # flock is per open file: threads sharing this object serialise on the mutex, processes on the flock
        self._mutex = threading.RLock()
        if not readonly:
            self._layout.log_dir(name).mkdir(parents=True, exist_ok=True)
            self._open_fd()
        self._refresh()

    # -- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the file descriptor (the object is unusable afterwards)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ChronicleLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    @property
    def artifacts(self) -> ArtifactStore:
        """The WORM artifact store that shares this log's Chronicle root."""
        return ArtifactStore(self.root, readonly=self.readonly)

    # -- reads -----------------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of entries (catches up with appends made by other processes)."""
        self._refresh()
        return len(self._tree)

    def root_hash(self, size: int | None = None) -> bytes:
        """RFC 6962 root of the first `size` entries (the current head when None)."""
        self._refresh()
        return self._tree.root(self._size_arg(size))

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash of entry `index`."""
        self._refresh()
        self._check_index(index, len(self._tree))
        return self._tree.leaf(index)

    def entry(self, index: int) -> dict[str, Any]:
        """The entry at `index`, re-hashed against its leaf hash before it is returned."""
        self._refresh()
        self._check_index(index, len(self._tree))
        body = self._read_body(index)
        if leaf_hash(body) != self._tree.leaf(index):
            raise EvidenceError(
                f"entry {index} of log {self.name!r} changed on disk since it was loaded; "
                "run `fractalops evidence verify`"
            )
        return json.loads(body)

    def ref(self, index: int) -> EvidenceRef:
        """The `EvidenceRef` of entry `index`."""
        return EvidenceRef(self.name, index, self.leaf_hash(index).hex())

    def lookup(self, ref_uri: str | EvidenceRef) -> dict[str, Any]:
        """Resolve a `chronicle://` ref to its entry, checking the pinned leaf hash."""
        ref = ref_uri if isinstance(ref_uri, EvidenceRef) else EvidenceRef.parse(ref_uri)
        if ref.log != self.name:
            raise EvidenceError(f"ref {ref.uri} is for log {ref.log!r}, not {self.name!r}; open that log")
        if ref.index >= self.size:
            raise EvidenceError(f"ref {ref.uri} points past the end of log {self.name!r} (size {self.size})")
        entry = self.entry(ref.index)
        if self._tree.leaf(ref.index).hex() != ref.leaf_hash:
            raise EvidenceError(
                f"ref {ref.uri} does not match entry {ref.index} (stored leaf hash "
                f"{self._tree.leaf(ref.index).hex()}); the ref is wrong or the log was rewritten"
            )
        return entry

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 audit path for entry `index` in the tree of `size` entries (current size if None)."""
        self._refresh()
        size = self._size_arg(size)
        self._check_index(index, size)
        return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        """RFC 6962 consistency proof that the tree of size `m` is a prefix of the tree of size `n`."""
        self._refresh()
        n = self._size_arg(n)
        if not 0 <= m <= n:
            raise EvidenceError(f"consistency proof needs 0 <= m <= n, got m={m}, n={n}")
        return self._tree.consistency_proof(m, n)

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every stored checkpoint, oldest first (strictly parsed)."""
        try:
            data = self._checkpoints_path.read_bytes()
        except FileNotFoundError:
            return []
        if data and not data.endswith(b"\n"):
            raise EvidenceError(f"{self._checkpoints_path} ends in a partial line; run `fractalops evidence verify`")
        out = []
        for number, line in enumerate(data.splitlines(keepends=True)):
            try:
                out.append(SignedCheckpoint.from_line(line))
            except EvidenceError as exc:
                raise EvidenceError(f"{self._checkpoints_path} line {number + 1}: {exc}") from exc
        return out

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        """The newest checkpoint, or None when none was signed yet."""
        checkpoints = self.checkpoints()
        return checkpoints[-1] if checkpoints else None

    def public_key(self) -> bytes:
        """The raw Ed25519 public key (after checking the private key derives it)."""
        return load_key_pair(self._layout).public

    def export_bundle(self, index: int) -> EntryBundle:
        """Everything needed to check entry `index` offline (see `verify_entry_bundle`).

        Uses the latest checkpoint if it covers the entry; a writer signs a new checkpoint otherwise.
        """
        self._refresh()
        self._check_index(index, len(self._tree))
        checkpoint = self.latest_checkpoint()
        if checkpoint is None or checkpoint.size <= index:
            if self.readonly:
                raise EvidenceError(
                    f"no checkpoint of log {self.name!r} covers entry {index} yet; the writer must sign one"
                )
            checkpoint = self.checkpoint()
        return build_bundle(
            entry=self.entry(index),
            index=index,
            leaf=self._tree.leaf(index),
            audit_path=self._tree.inclusion_proof(index, checkpoint.size),
            checkpoint=checkpoint,
            public_key=self.public_key(),
        )

    def verify(self) -> VerifyResult:
        """Re-derive everything under the Chronicle root from the files (see `verify_chronicle`)."""
        return verify_chronicle(self.root, self.name)

    # -- writes ----------------------------------------------------------------------------------------

    def append(self, entry: Mapping[str, Any]) -> EvidenceRef:
        """Append one JSON object; returns its ref once it is durable."""
        return self.append_many([entry])[0]

    def append_many(self, entries: Iterable[Mapping[str, Any]]) -> EvidenceRefs:
        """Append a batch of JSON objects with a single write and a single fsync; their refs, in order."""
        batch = list(entries)
        if not batch:
            return EvidenceRefs(self.name, len(self._tree), b"")
        if set(map(type, batch)) != {dict}:
            for position, entry in enumerate(batch):
                if type(entry) is not dict:
                    if not isinstance(entry, Mapping):
                        raise EvidenceError(f"evidence entry #{position} of the batch must be a JSON object (dict)")
                    batch[position] = dict(entry)
        buffer, sep = canonical_json_joined(batch, what="evidence entry")
        fd = self._writer_fd()
        with self._mutex, flocked(fd, exclusive=True):
            self._catch_up()
            self._refuse_if_corrupt()
            lines, hashes, offsets = frame_lines(buffer, sep, self._end)
            if len(hashes) != HASH_SIZE * len(batch):  # pragma: no cover - the encoder broke its own contract
                raise EvidenceError(f"encoded {len(hashes) // HASH_SIZE} bodies for {len(batch)} entries")
            self._write_all(fd, lines)
            os.fsync(fd)
            first = len(self._tree)
            self._offsets.frombytes(offsets)
            self._end += len(lines)
            self._tree.extend_packed(hashes)
        return EvidenceRefs(self.name, first, hashes)

    def checkpoint(self) -> SignedCheckpoint:
        """Sign the current head (log name, size, root, timestamp) and store the checkpoint."""
        fd = self._writer_fd()
        with self._mutex, flocked(fd, exclusive=True):
            self._catch_up()
            self._refuse_if_corrupt()
            keys = load_or_create_key_pair(self._layout)
            previous = self.latest_checkpoint()
            size = len(self._tree)
            root = self._tree.root(size).hex()
            timestamp = max(time.time_ns() // 1_000_000, previous.timestamp if previous else 0)
            signature = keys.sign(SignedCheckpoint.message(self.name, size, root, timestamp)).hex()
            checkpoint = SignedCheckpoint(self.name, size, root, timestamp, signature)
            existed = self._checkpoints_path.exists()
            cfd = os.open(self._checkpoints_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                self._write_all(cfd, checkpoint.to_line())
                os.fsync(cfd)
            finally:
                os.close(cfd)
            if not existed:
                fsync_dir(self._checkpoints_path.parent)
        return checkpoint

    # -- internals -------------------------------------------------------------------------------------

    def _open_fd(self) -> None:
        if self.readonly:
            try:
                self._fd = os.open(self._entries_path, os.O_RDONLY)
            except FileNotFoundError:
                self._fd = None
            return
        existed = self._entries_path.exists()
        self._fd = os.open(self._entries_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        if not existed:
            fsync_dir(self._entries_path.parent)

    def _writer_fd(self) -> int:
        if self.readonly or self._fd is None:
            raise EvidenceError(f"log {self.name!r} was opened read-only; only the server process writes evidence")
        return self._fd

    def _refresh(self) -> None:
        if self._fd is None:
            self._open_fd()
            if self._fd is None:
                return
        if os.fstat(self._fd).st_size == self._end:
            return
        with self._mutex, flocked(self._fd, exclusive=False):
            self._catch_up()

    def _catch_up(self) -> None:
        """Load entries appended since `_end` (caller holds a lock); stops at the first bad line."""
        assert self._fd is not None
        if self._load_error is not None:
            return
        size = os.fstat(self._fd).st_size
        if size == self._end:
            return
        data = os.pread(self._fd, size - self._end, self._end)
        parsed = parse_lines(data, self._end)
        if parsed is not None:
            hashes, offsets = parsed
            self._offsets.frombytes(offsets)
            self._end += len(data)
            self._tree.extend_packed(hashes)
            return
        offset = self._end
        for line in data.splitlines(keepends=True):  # line by line, to stop at the first bad one
            index = len(self._tree)
            if not line.endswith(b"\n"):
                self._load_error = f"entry {index} is a partial line (torn write or truncation)"
                return
            body = line[65:-1]
            h = leaf_hash(body)
            if line[64:65] != b" " or line[:64] != h.hex().encode("ascii"):
                self._load_error = f"entry {index} does not match its stored leaf hash"
                return
            self._offsets.append(offset)
            offset += len(line)
            self._tree.append(h)
            self._end = offset

    def _refuse_if_corrupt(self) -> None:
        if self._load_error is not None:
            raise EvidenceError(
                f"log {self.name!r} at {self._entries_path} is corrupt ({self._load_error}); refusing to append "
                "or sign on top of it; run `fractalops evidence verify` and restore the file"
            )

    def _read_body(self, index: int) -> bytes:
        assert self._fd is not None
        start = self._offsets[index]
        end = self._offsets[index + 1] if index + 1 < len(self._offsets) else self._end
        line = os.pread(self._fd, end - start, start)
        return line[65:-1]

    def _size_arg(self, size: int | None) -> int:
        current = len(self._tree)
        if size is None:
            return current
        if not 0 <= size <= current:
            raise EvidenceError(f"tree size {size} is outside 0..{current} for log {self.name!r}")
        return size

    def _check_index(self, index: int, size: int) -> None:
        if not 0 <= index < size:
            raise EvidenceError(f"entry index {index} is outside 0..{size - 1} of log {self.name!r}")

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
