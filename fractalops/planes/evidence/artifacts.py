"""Content-addressed WORM artifact store under `<data_dir>/chronicle/artifacts/`.

Each artifact is two read-only (0444) files, never overwritten:

- `<sha256 hex>`: the bytes; the name is their SHA-256.
- `<sha256 hex>.meta`: canonical JSON `{"check", "media_type", "sha256", "size"}` plus a newline, where
  `check` is the SHA-256 hex of the canonical JSON of the other three fields, so the file checks itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from fractalops.errors import EvidenceError
from fractalops.planes.evidence._canonical import canonical_json
from fractalops.planes.evidence._layout import ChronicleLayout, fsync_dir, locked_dir, write_new_file
from fractalops.planes.evidence.refs import ArtifactRef

__all__ = ["ArtifactStore", "META_SUFFIX", "parse_artifact_meta"]

META_SUFFIX = ".meta"
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(;[ -~]*)?")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _meta_line(sha256: str, media_type: str, size: int) -> bytes:
    fields = {"media_type": media_type, "sha256": sha256, "size": size}
    check = hashlib.sha256(canonical_json(fields, what="artifact meta")).hexdigest()
    return canonical_json({**fields, "check": check}, what="artifact meta") + b"\n"


def parse_artifact_meta(data: bytes, sha256: str) -> ArtifactRef:
    """Strictly parse a `.meta` file for artifact `sha256`; any deviation is an EvidenceError."""
    try:
        meta: Any = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"artifact meta for sha256:{sha256} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or set(meta) != {"check", "media_type", "sha256", "size"}:
        raise EvidenceError(f"artifact meta for sha256:{sha256} has the wrong fields")
    media_type, size = meta["media_type"], meta["size"]
    if meta["sha256"] != sha256:
        raise EvidenceError(f"artifact meta for sha256:{sha256} names a different artifact")
    if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
        raise EvidenceError(f"artifact meta for sha256:{sha256} has an invalid media type")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise EvidenceError(f"artifact meta for sha256:{sha256} has an invalid size")
    if _meta_line(sha256, media_type, size) != data:
        raise EvidenceError(f"artifact meta for sha256:{sha256} fails its self-check (bytes were altered)")
    return ArtifactRef(sha256=sha256, media_type=media_type, size=size)


class ArtifactStore:
    """Write-once, read-many blobs named by the SHA-256 of their bytes."""

    def __init__(self, root: Path, *, readonly: bool = False) -> None:
        self.dir = ChronicleLayout(Path(root)).artifacts_dir
        """The `artifacts/` directory under the Chronicle root."""
        self.readonly = readonly
        """A read-only store refuses `put`."""

    def put(self, data: bytes, media_type: str = "application/octet-stream") -> ArtifactRef:
        """Store `data` once; the same bytes again return the same ref (the first media type wins)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise EvidenceError(f"artifact data must be bytes, got {type(data).__name__}")
        if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
            raise EvidenceError(f"invalid media type {media_type!r}; use a type/subtype such as image/png")
        if self.readonly:
            raise EvidenceError("artifact store was opened read-only; only the server process stores artifacts")
        data = bytes(data)
        sha256 = hashlib.sha256(data).hexdigest()
        self.dir.mkdir(parents=True, exist_ok=True)
        with locked_dir(self.dir):
            path = self.dir / sha256
            if path.exists():
                self._check_bytes(sha256, path.read_bytes())
                return self.stat(ArtifactRef(sha256))
            meta_path = self.dir / (sha256 + META_SUFFIX)
            if meta_path.exists():
                raise EvidenceError(f"{meta_path} exists without its artifact; the store is corrupt")
            write_new_file(path, data, 0o444)
            write_new_file(meta_path, _meta_line(sha256, media_type, len(data)), 0o444)
            fsync_dir(self.dir)
        return ArtifactRef(sha256=sha256, media_type=media_type, size=len(data))

    def get(self, ref: ArtifactRef | str) -> bytes:
        """The artifact's bytes, after checking they still hash to the ref."""
        sha256 = self._sha(ref)
        try:
            data = (self.dir / sha256).read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceError(f"artifact sha256:{sha256} is not in the store at {self.dir}") from exc
        self._check_bytes(sha256, data)
        return data

    def stat(self, ref: ArtifactRef | str) -> ArtifactRef:
        """The full ref (media type and size) from the artifact's meta file."""
        sha256 = self._sha(ref)
        try:
            meta = (self.dir / (sha256 + META_SUFFIX)).read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceError(f"artifact sha256:{sha256} is not in the store at {self.dir}") from exc
        return parse_artifact_meta(meta, sha256)

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, ArtifactRef | str):
            return False
        return (self.dir / self._sha(ref)).exists()

    @staticmethod
    def _sha(ref: ArtifactRef | str) -> str:
        return (ref if isinstance(ref, ArtifactRef) else ArtifactRef.parse(ref)).sha256

    def _check_bytes(self, sha256: str, data: bytes) -> None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise EvidenceError(
                f"artifact file {self.dir / sha256} is corrupt: its bytes hash to {actual}; restore it from a copy"
            )

