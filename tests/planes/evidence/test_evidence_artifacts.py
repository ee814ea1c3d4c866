"""WORM artifact store: content addressing, read-only files, no overwrite, corruption refused."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from fractalops.errors import EvidenceError
from fractalops.planes.evidence import ArtifactRef, ArtifactStore


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "chronicle")


def test_put_get_round_trip_and_naming(store: ArtifactStore) -> None:
    data = b"trace.zip bytes"
    ref = store.put(data, "application/zip")
    digest = hashlib.sha256(data).hexdigest()
    assert ref == ArtifactRef(digest, "application/zip", len(data))
    assert ref.uri == f"sha256:{digest}"
    assert store.get(ref) == data and store.get(ref.uri) == data
    assert store.stat(ref.uri) == ref
    assert ref.uri in store and f"sha256:{'0' * 64}" not in store
    for path in (store.dir / digest, store.dir / f"{digest}.meta"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_same_bytes_return_the_same_ref_and_never_rewrite(store: ArtifactStore) -> None:
    first = store.put(b"same", "text/plain")
    inode = (store.dir / first.sha256).stat().st_ino
    again = store.put(b"same", "image/png")
    assert again == first  # the first media type wins; nothing is rewritten
    assert (store.dir / first.sha256).stat().st_ino == inode


def test_a_file_with_the_name_but_other_bytes_is_corruption(store: ArtifactStore) -> None:
    ref = store.put(b"original", "text/plain")
    path = store.dir / ref.sha256
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(EvidenceError, match="corrupt"):
        store.get(ref)
    with pytest.raises(EvidenceError, match="corrupt"):
        store.put(b"original", "text/plain")
    assert path.read_bytes() == b"tampered"  # never overwritten, even to "repair"


def test_missing_and_malformed_refs(store: ArtifactStore) -> None:
    with pytest.raises(EvidenceError, match="not in the store"):
        store.get("sha256:" + "ab" * 32)
    for bad in ("sha256:ABC", "sha1:" + "a" * 40, "sha256:" + "A" * 64, "", "sha256:" + "a" * 65):
        with pytest.raises(EvidenceError, match="malformed artifact ref"):
            store.get(bad)


@pytest.mark.parametrize("media_type", ["", "png", "image/", "image png", "/png"])
def test_bad_media_types_are_refused(store: ArtifactStore, media_type: str) -> None:
    with pytest.raises(EvidenceError, match="media type"):
        store.put(b"x", media_type)


def test_readonly_store_refuses_put(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="read-only"):
        ArtifactStore(tmp_path, readonly=True).put(b"x", "text/plain")
