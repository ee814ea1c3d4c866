"""Signed checkpoints: an Ed25519 signature over (log name, size, root hash, timestamp)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypedDict

from fractalops.errors import EvidenceError
from fractalops.planes.evidence._canonical import canonical_json
from fractalops.planes.evidence._keys import verify_signature
from fractalops.planes.evidence.refs import check_log_name

__all__ = ["CHECKPOINT_HEADER", "CheckpointJSON", "SignedCheckpoint"]

CHECKPOINT_HEADER = "fractalops-chronicle-checkpoint/v1"
"""First line of every signed checkpoint message (domain separation)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_FIELDS = {"log", "root", "signature", "size", "timestamp"}


class CheckpointJSON(TypedDict):
    """A checkpoint as plain JSON (one line of `checkpoints.log`, and inside proof bundles)."""

    log: str
    size: int
    root: str
    timestamp: int
    signature: str


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A signed statement that log `log` had `size` entries with Merkle root `root` at `timestamp`."""

    log: str
    """Name of the log the checkpoint is for."""
    size: int
    """Tree size (number of entries) the root covers."""
    root: str
    """Lowercase hex RFC 6962 root hash of the first `size` entries."""
    timestamp: int
    """Milliseconds since the Unix epoch (UTC) when it was signed, as in RFC 6962 tree heads."""
    signature: str
    """Lowercase hex Ed25519 signature over `signed_message()`."""

    @staticmethod
    def message(log: str, size: int, root: str, timestamp: int) -> bytes:
        """The exact bytes that are signed: a header line, then one line per field."""
        return f"{CHECKPOINT_HEADER}\n{log}\n{size}\n{root}\n{timestamp}\n".encode()

    def signed_message(self) -> bytes:
        return self.message(self.log, self.size, self.root, self.timestamp)

    def verify(self, public_key: bytes) -> bool:
        """True when the signature is valid for `public_key` (raw 32 bytes)."""
        return verify_signature(public_key, self.signed_message(), bytes.fromhex(self.signature))

    def to_json(self) -> CheckpointJSON:
        return CheckpointJSON(
            log=self.log, size=self.size, root=self.root, timestamp=self.timestamp, signature=self.signature
        )

    def to_line(self) -> bytes:
        """Canonical JSON plus newline: the stored form."""
        return canonical_json(self.to_json(), what="checkpoint") + b"\n"

    @classmethod
    def from_json(cls, data: Any) -> SignedCheckpoint:
        """Strictly rebuild a checkpoint from JSON; EvidenceError names the bad field."""
        if not isinstance(data, dict) or set(data) != _FIELDS:
            raise EvidenceError(f"checkpoint must be an object with exactly the fields {sorted(_FIELDS)}")
        log, size, root, ts, sig = (data[k] for k in ("log", "size", "root", "timestamp", "signature"))
        check_log_name(log)
        for name, value in (("size", size), ("timestamp", ts)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise EvidenceError(f"checkpoint {name} must be a non-negative integer, got {value!r}")
        if not isinstance(root, str) or not _HEX64.fullmatch(root):
            raise EvidenceError("checkpoint root must be 64 lowercase hex chars")
        if not isinstance(sig, str) or not _HEX128.fullmatch(sig):
            raise EvidenceError("checkpoint signature must be 128 lowercase hex chars")
        return cls(log=log, size=size, root=root, timestamp=ts, signature=sig)

    @classmethod
    def from_line(cls, line: bytes) -> SignedCheckpoint:
        """Parse one stored line (with its newline); it must be byte-identical to `to_line()`."""
        try:
            checkpoint = cls.from_json(json.loads(line))
        except (ValueError, UnicodeDecodeError) as exc:
            raise EvidenceError(f"checkpoint line is not valid JSON: {exc}") from exc
        if checkpoint.to_line() != line:
            raise EvidenceError("checkpoint line is not in canonical form (bytes differ from re-serialisation)")
        return checkpoint
