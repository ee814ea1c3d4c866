"""verify(): every flipped byte of every Chronicle file is detected, and first_bad follows the convention."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fractalops.planes.evidence import ChronicleLog, open_chronicle


def _populate(log: ChronicleLog) -> dict[str, object]:
    log.append_many([{"i": i, "note": "entrée ✓", "f": 1.5, "ok": True, "n": None} for i in range(6)])
    log.checkpoint()
    shot = log.artifacts.put(b"\x89PNG fake screenshot", "image/png")
    log.append({"kind": "screenshot", "artifact": shot.uri})  # entry 6 references the artifact
    log.checkpoint()
    log.append_many([{"tail": i} for i in range(3)])  # not yet checkpointed
    other = ChronicleLog(log.root, "ops")
    other.append({"other": True})
    other.checkpoint()
    other.close()
    return {"artifact": shot}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _flip(path: Path, position: int, xor: int) -> bytes:
    original = path.read_bytes()
    data = bytearray(original)
    data[position] ^= xor
    os.chmod(path, 0o644)
    path.write_bytes(bytes(data))
    return original


@pytest.fixture
def populated(log: ChronicleLog) -> ChronicleLog:
    _populate(log)
    assert log.verify().ok
    return log


def test_clean_chronicle_verifies(populated: ChronicleLog) -> None:
    result = populated.verify()
    assert (result.ok, result.size, result.first_bad, result.reason) == (True, 10, None, None)
    names = {p.relative_to(populated.root).as_posix() for p in _files(populated.root)}
    assert {"keys/ed25519.key", "keys/ed25519.pub", "logs/main/entries.log", "logs/main/checkpoints.log",
            "logs/ops/entries.log", "logs/ops/checkpoints.log"} <= names


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_byte_anywhere_fails_verify(populated: ChronicleLog, data: st.DataObject) -> None:
    files = _files(populated.root)
    path = data.draw(st.sampled_from(files), label="file")
    position = data.draw(st.integers(0, path.stat().st_size - 1), label="position")
    xor = data.draw(st.integers(1, 255), label="xor")
    original = _flip(path, position, xor)
    try:
        result = populated.verify()
        assert not result.ok, f"flip of {path} at {position} (xor {xor:#x}) went unnoticed"
        assert result.reason
    finally:
        path.write_bytes(original)
    assert populated.verify().ok


def test_every_byte_of_every_file_is_covered(populated: ChronicleLog) -> None:
    """Exhaustive companion to the property test: one flip per byte position, 100% detected."""
    missed = []
    for path in _files(populated.root):
        size = path.stat().st_size
        for position in range(size):
            original = _flip(path, position, 0x01 if position % 2 else 0x20)
            if populated.verify().ok:
                missed.append((path.name, position))
            path.write_bytes(original)
    assert missed == []


def _entries(log: ChronicleLog) -> Path:
    return log.root / "logs" / "main" / "entries.log"


def test_first_bad_names_the_flipped_entry(populated: ChronicleLog) -> None:
    lines = _entries(populated).read_bytes().splitlines(keepends=True)
    offset = sum(len(line) for line in lines[:4]) + 70  # inside entry 4's JSON
    _flip(_entries(populated), offset, 0x01)
    result = populated.verify()
    assert (result.ok, result.first_bad, result.size) == (False, 4, 10)
    assert "entry 4" in (result.reason or "")


def test_first_bad_for_a_torn_tail(populated: ChronicleLog) -> None:
    path = _entries(populated)
    path.write_bytes(path.read_bytes()[:-3])
    result = populated.verify()
    assert (result.ok, result.first_bad) == (False, 9)
    assert "partial line" in (result.reason or "")


def test_first_bad_for_a_bad_checkpoint_is_the_last_anchored_size(populated: ChronicleLog) -> None:
    path = populated.root / "logs" / "main" / "checkpoints.log"
    lines = path.read_bytes().splitlines(keepends=True)
    _flip(path, len(lines[0]) + 20, 0x01)  # second checkpoint (size 7); the first one anchors 6 entries
    result = populated.verify()
    assert (result.ok, result.first_bad) == (False, 6)
    _flip(path, len(lines[0]) + 20, 0x01)
    _flip(path, 5, 0x01)
    assert populated.verify().first_bad == 0


def test_rewritten_entry_with_matching_hash_is_caught_by_the_checkpoint(populated: ChronicleLog) -> None:
    from fractalops.planes.evidence import leaf_hash

    path = _entries(populated)
    lines = path.read_bytes().splitlines(keepends=True)
    body = b'{"i":2,"forged":true}'
    lines[2] = leaf_hash(body).hex().encode() + b" " + body + b"\n"
    path.write_bytes(b"".join(lines))
    result = populated.verify()
    assert not result.ok and result.first_bad == 0
    assert "signed root differs" in (result.reason or "")


def test_key_problems_are_first_bad_zero(populated: ChronicleLog) -> None:
    key = populated.root / "keys" / "ed25519.key"
    data = bytearray(key.read_bytes())
    data[3] = ord("0") if data[3] != ord("0") else ord("1")  # still valid hex: a different private key
    key.write_bytes(bytes(data))
    result = populated.verify()
    assert (result.ok, result.first_bad) == (False, 0)
    assert "does not derive" in (result.reason or "")
    data[3] = ord("g")
    key.write_bytes(bytes(data))
    assert "is corrupt" in (populated.verify().reason or "")


def test_deleted_keys_are_reported(populated: ChronicleLog) -> None:
    (populated.root / "keys" / "ed25519.pub").unlink()
    result = populated.verify()
    assert (result.ok, result.first_bad) == (False, 0)


def test_artifact_corruption_names_the_referencing_entry(populated: ChronicleLog) -> None:
    [artifact] = [p for p in (populated.root / "artifacts").iterdir() if not p.name.endswith(".meta")]
    _flip(artifact, 0, 0x01)
    result = populated.verify()
    assert (result.ok, result.first_bad) == (False, 6)
    meta = artifact.with_name(artifact.name + ".meta")
    _flip(artifact, 0, 0x01)
    _flip(meta, 10, 0x01)
    assert populated.verify().first_bad == 6


def test_other_log_and_stray_files_fail_with_no_first_bad(populated: ChronicleLog) -> None:
    _flip(populated.root / "logs" / "ops" / "entries.log", 70, 0x01)
    result = populated.verify()
    assert (result.ok, result.first_bad) == (False, None)
    assert "log 'ops'" in (result.reason or "")
    _flip(populated.root / "logs" / "ops" / "entries.log", 70, 0x01)
    (populated.root / "notes.txt").write_text("hi")
    result = populated.verify()
    assert not result.ok and "unexpected file" in (result.reason or "")


def test_garbage_files_never_crash_verify(data_dir: Path) -> None:
    log = open_chronicle(data_dir)
    _entries(log).write_bytes(b"\xff\xfe\x00garbage\n\n" + os.urandom(200))
    (log.root / "logs" / "main" / "checkpoints.log").write_bytes(os.urandom(64) + b"\n")
    (log.root / "keys").mkdir()
    (log.root / "keys" / "ed25519.key").write_bytes(os.urandom(10))
    (log.root / "artifacts").mkdir()
    (log.root / "artifacts" / ("ab" * 32)).write_bytes(b"x")
    result = log.verify()
    assert not result.ok and result.first_bad == 0 and result.reason


def test_whole_file_fast_path_agrees_with_the_line_scan(
    populated: ChronicleLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fractalops.planes.evidence import verify as verify_module

    path = _entries(populated)
    slow = verify_module._scan_entries_slowly(path, path.read_bytes())

    def must_not_run(*args: object) -> None:
        raise AssertionError("a clean log fell off the fast path")

    monkeypatch.setattr(verify_module, "_scan_entries_slowly", must_not_run)
    fast = verify_module._scan_entries(path)
    assert slow.problems == [] and fast.problems == []
    assert (list(fast.offsets), fast.lines) == (list(slow.offsets), slow.lines)
    assert fast.tree.root() == slow.tree.root() and len(fast.tree) == 10
    assert populated.verify().ok


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"i":1}', "does not match its stored leaf hash"),  # hash of another body
        (b"", "not '<leaf hash> <json>'"),  # empty line
        (b"{", "not a JSON object"),
        (b'"x"', "not a JSON object"),
    ],
)
def test_fast_path_declines_lines_the_line_scan_rejects(populated: ChronicleLog, line: bytes, problem: str) -> None:
    from fractalops.planes.evidence import leaf_hash

    path = _entries(populated)
    lines = path.read_bytes().splitlines(keepends=True)
    if line.startswith(b"{") and line.endswith(b"}"):
        lines[3] = leaf_hash(b'{"i":2}').hex().encode() + b" " + line + b"\n"
    else:
        lines[3] = (leaf_hash(line).hex().encode() + b" " + line + b"\n") if line else b"\n"
    path.write_bytes(b"".join(lines))
    result = populated.verify()
    assert (result.ok, result.first_bad) == (False, 3)
    assert problem in (result.reason or "")
