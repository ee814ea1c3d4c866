"""Offline proof bundles: one entry, its audit path, and the signed checkpoint whose root it reaches."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from fractalops.planes.evidence._canonical import canonical_json
from fractalops.planes.evidence.checkpoint import CheckpointJSON, SignedCheckpoint
from fractalops.planes.evidence.merkle import leaf_hash, verify_inclusion

__all__ = ["BUNDLE_FORMAT", "EntryBundle", "build_bundle", "verify_entry_bundle"]

BUNDLE_FORMAT = "fractalops-chronicle-bundle/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class EntryBundle(TypedDict):
    """Plain-JSON proof that one entry is in a signed Chronicle tree head."""

    format: str
    """Always `BUNDLE_FORMAT`."""
    log: str
    """Log name (also inside the checkpoint)."""
    index: int
    """Entry index (the leaf position)."""
    size: int
    """Tree size the audit path is for (= checkpoint size)."""
    entry: dict[str, Any]
    """The entry JSON object; its canonical bytes are the leaf."""
    leaf_hash: str
    """Hex SHA-256(0x00 || canonical entry)."""
    audit_path: list[str]
    """Hex RFC 6962 inclusion proof, leaf side first."""
    root: str
    """Hex root hash of the tree of `size` entries."""
    checkpoint: CheckpointJSON
    """The signed checkpoint over (log, size, root, timestamp)."""
    public_key: str
    """Hex raw Ed25519 public key that signed the checkpoint."""


def build_bundle(
    *,
    entry: dict[str, Any],
    index: int,
    leaf: bytes,
    audit_path: list[bytes],
    checkpoint: SignedCheckpoint,
    public_key: bytes,
) -> EntryBundle:
    """Assemble a bundle (used by `ChronicleLog.export_bundle`)."""
    return EntryBundle(
        format=BUNDLE_FORMAT,
        log=checkpoint.log,
        index=index,
        size=checkpoint.size,
        entry=entry,
        leaf_hash=leaf.hex(),
        audit_path=[p.hex() for p in audit_path],
        root=checkpoint.root,
        checkpoint=checkpoint.to_json(),
        public_key=public_key.hex(),
    )


def _hex(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise ValueError("expected 64 lowercase hex chars")
    return bytes.fromhex(value)


def verify_entry_bundle(bundle: dict[str, Any], public_key: bytes | str | None = None) -> bool:
    """True when the bundle proves its entry is in its signed checkpoint; never raises.

    Pass `public_key` (raw bytes or hex) to pin the signer instead of trusting the bundle's own key.
    """
    try:
        if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
            return False
        checkpoint = SignedCheckpoint.from_json(bundle["checkpoint"])
        key = _hex(bundle["public_key"])
        if public_key is not None:
            pinned = public_key if isinstance(public_key, bytes) else bytes.fromhex(public_key)
            if pinned != key:
                return False
        index, size = bundle["index"], bundle["size"]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (index, size)):
            return False
        if not isinstance(bundle["entry"], dict):
            return False
        leaf = leaf_hash(canonical_json(bundle["entry"]))
        root = _hex(bundle["root"])
        path = [_hex(p) for p in bundle["audit_path"]]
        return (
            leaf == _hex(bundle["leaf_hash"])
            and bundle["log"] == checkpoint.log
            and size == checkpoint.size
            and root.hex() == checkpoint.root
            and checkpoint.verify(key)
            and verify_inclusion(leaf, index, size, path, root)
        )
    except Exception:  # noqa: BLE001 - a malformed bundle is simply not a proof
        return False
