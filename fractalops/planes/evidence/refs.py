"""Reference values: `EvidenceRef` (an entry in a Chronicle log) and `ArtifactRef` (a WORM artifact)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from fractalops.errors import EvidenceError

__all__ = ["ArtifactRef", "EvidenceRef", "EvidenceRefs", "LOG_NAME_PATTERN", "check_log_name"]

LOG_NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"
"""Log names are lowercase path-safe tokens (they name a directory)."""

_HEX64 = r"[0-9a-f]{64}"
_EVIDENCE_RE = re.compile(rf"chronicle://({LOG_NAME_PATTERN})/(0|[1-9][0-9]*)#sha256:({_HEX64})")
_ARTIFACT_RE = re.compile(rf"sha256:({_HEX64})")
_LOG_NAME_RE = re.compile(LOG_NAME_PATTERN)


def check_log_name(name: str) -> str:
    """Return `name` if it is a valid log name, else raise EvidenceError."""
    if not isinstance(name, str) or not _LOG_NAME_RE.fullmatch(name):
        raise EvidenceError(
            f"invalid Chronicle log name {name!r}; use 1-64 chars of [a-z0-9_-] starting with [a-z0-9]"
        )
    return name


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """Points at one entry of a Chronicle log and pins its leaf hash."""

    log: str
    """The log's name (`main` for the default log)."""
    index: int
    """Zero-based position of the entry in the log."""
    leaf_hash: str
    """Lowercase hex SHA-256(0x00 || canonical entry JSON)."""

    def __post_init__(self) -> None:
        check_log_name(self.log)
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise EvidenceError(f"evidence ref index must be a non-negative int, got {self.index!r}")
        if not isinstance(self.leaf_hash, str) or not re.fullmatch(_HEX64, self.leaf_hash):
            raise EvidenceError(f"evidence ref leaf hash must be 64 lowercase hex chars, got {self.leaf_hash!r}")

    @property
    def uri(self) -> str:
        """`chronicle://<log>/<index>#sha256:<hex leaf hash>`."""
        return f"chronicle://{self.log}/{self.index}#sha256:{self.leaf_hash}"

    @classmethod
    def parse(cls, uri: str) -> EvidenceRef:
        """Parse a `chronicle://` URI; anything else is an EvidenceError saying what the form is."""
        match = _EVIDENCE_RE.fullmatch(uri) if isinstance(uri, str) else None
        if match is None:
            raise EvidenceError(
                f"malformed evidence ref {uri!r}; expected chronicle://<log>/<index>#sha256:<64 lowercase hex>"
            )
        return cls(log=match[1], index=int(match[2]), leaf_hash=match[3])

    def __str__(self) -> str:
        return self.uri

    @classmethod
    def _trusted(cls, log: str, index: int, leaf_hash: str) -> EvidenceRef:
        """Build a ref from values the log itself just produced (skips re-validation on the hot path)."""
        ref = object.__new__(cls)
        object.__setattr__(ref, "log", log)
        object.__setattr__(ref, "index", index)
        object.__setattr__(ref, "leaf_hash", leaf_hash)
        return ref


class EvidenceRefs(Sequence[EvidenceRef]):
    """The refs of one appended batch, in order: a read-only sequence of `EvidenceRef`.

    Holds the batch's first index and its leaf hashes packed 32 bytes each; an `EvidenceRef` is made when
    an item is read, so appending a large batch costs no Python object per entry.
    """

    __slots__ = ("_hashes", "first", "log")

    def __init__(self, log: str, first: int, packed_leaf_hashes: bytes) -> None:
        if len(packed_leaf_hashes) % 32:
            raise ValueError("packed leaf hashes must be a multiple of 32 bytes")
        self.log = log
        """The log the batch was appended to."""
        self.first = first
        """Index of the batch's first entry."""
        self._hashes = packed_leaf_hashes

    def __len__(self) -> int:
        return len(self._hashes) // 32

    @overload
    def __getitem__(self, item: int) -> EvidenceRef: ...

    @overload
    def __getitem__(self, item: slice) -> list[EvidenceRef]: ...

    def __getitem__(self, item: int | slice) -> EvidenceRef | list[EvidenceRef]:
        if isinstance(item, slice):
            return [self[i] for i in range(*item.indices(len(self)))]
        position = item + len(self) if item < 0 else item
        if not 0 <= position < len(self):
            raise IndexError(f"ref #{item} is outside a batch of {len(self)}")
        leaf = self._hashes[position * 32 : position * 32 + 32].hex()
        return EvidenceRef._trusted(self.log, self.first + position, leaf)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EvidenceRefs):
            return (self.log, self.first, self._hashes) == (other.log, other.first, other._hashes)
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"EvidenceRefs(log={self.log!r}, first={self.first}, count={len(self)})"


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """Names a content-addressed artifact by the SHA-256 of its bytes."""

    sha256: str
    """Lowercase hex SHA-256 of the artifact bytes (also its file name)."""
    media_type: str = "application/octet-stream"
    """The media type recorded when the artifact was first stored."""
    size: int = -1
    """Byte length, or -1 when the ref was parsed from a string and not looked up."""

    def __post_init__(self) -> None:
        if not isinstance(self.sha256, str) or not re.fullmatch(_HEX64, self.sha256):
            raise EvidenceError(f"artifact sha256 must be 64 lowercase hex chars, got {self.sha256!r}")

    @property
    def uri(self) -> str:
        """`sha256:<hex>`."""
        return f"sha256:{self.sha256}"

    @classmethod
    def parse(cls, uri: str) -> ArtifactRef:
        """Parse `sha256:<hex>`; media type and size are unknown until looked up in the store."""
        match = _ARTIFACT_RE.fullmatch(uri) if isinstance(uri, str) else None
        if match is None:
            raise EvidenceError(f"malformed artifact ref {uri!r}; expected sha256:<64 lowercase hex>")
        return cls(sha256=match[1])

    def __str__(self) -> str:
        return self.uri
