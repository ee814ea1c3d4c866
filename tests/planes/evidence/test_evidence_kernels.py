"""The compiled Chronicle kernels (`_speedups`) and their Python versions give the same bytes.

Each kernel is checked against a plain hashlib spelling of its contract and against the other
implementation; then a whole log written and verified by a process on the Python kernels is compared,
file for file, with one written on the compiled kernels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from array import array
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fractalops.planes.evidence import ChronicleLog, leaf_hash, node_hash
from fractalops.planes.evidence._kernels import COMPILED, IMPLEMENTATION, PYTHON, Kernels

BUILD_HINT = "the C extension fractalops.planes.evidence._speedups was not built (needs gcc and libssl-dev)"
IMPLEMENTATIONS = [
    pytest.param(PYTHON, id="python"),
    pytest.param(COMPILED, id="compiled", marks=pytest.mark.skipif(COMPILED is None, reason=BUILD_HINT)),
]
both = pytest.mark.skipif(COMPILED is None, reason=BUILD_HINT)


def test_the_compiled_kernels_are_what_runs() -> None:
    """`make test` installs gcc and libssl-dev, so the benchmarked path is the tested one."""
    if COMPILED is None:
        if os.environ.get("CI"):
            pytest.fail(BUILD_HINT)
        pytest.skip(BUILD_HINT)
    assert IMPLEMENTATION == "compiled"


# Non-empty bodies (an empty buffer is no body at all) without a raw newline (canonical JSON never holds one),
# and separators that cannot occur inside them.
_BODY = st.binary(min_size=1, max_size=300).map(lambda b: b.replace(b"\n", b"?"))
_SEPARATORS = st.sampled_from([b"\n", b",\n,"])


def _expected_frame(bodies: list[bytes], base: int) -> tuple[bytes, bytes, bytes]:
    hashes = [leaf_hash(b) for b in bodies]
    lines = b"".join(h.hex().encode() + b" " + b + b"\n" for h, b in zip(hashes, bodies, strict=True))
    offsets, position = array("q"), base
    for body in bodies:
        offsets.append(position)
        position += len(body) + 66
    return lines, b"".join(hashes), offsets.tobytes()


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@settings(max_examples=300, deadline=None)
@given(bodies=st.lists(_BODY, min_size=1, max_size=40), sep=_SEPARATORS, base=st.integers(0, 2**40))
def test_frame_lines_matches_hashlib(kernels: Kernels, bodies: list[bytes], sep: bytes, base: int) -> None:
    bodies = [b.replace(b",", b";") if sep != b"\n" else b for b in bodies]
    assert kernels.frame_lines(sep.join(bodies), sep, base) == _expected_frame(bodies, base)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
def test_frame_lines_edges(kernels: Kernels) -> None:
    assert kernels.frame_lines(b"", b"\n", 7) == (b"", b"", b"")
    assert kernels.frame_lines(memoryview(b"[{}]")[1:-1], b"\n", 0) == _expected_frame([b"{}"], 0)
    assert kernels.frame_lines(b"a\n\nb", b"\n", 0) == _expected_frame([b"a", b"", b"b"], 0)
    with pytest.raises(ValueError, match="empty separator"):
        kernels.frame_lines(b"{}", b"", 0)


_OBJECT_BODY = st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=8), max_size=4).map(
    lambda d: json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@settings(max_examples=200, deadline=None)
@given(bodies=st.lists(_OBJECT_BODY, max_size=30), base=st.integers(0, 2**40))
def test_parse_lines_inverts_frame_lines(kernels: Kernels, bodies: list[bytes], base: int) -> None:
    lines, hashes, offsets = _expected_frame(bodies, base)
    assert kernels.parse_lines(lines, base) == (hashes, offsets)


@both
@settings(max_examples=400, deadline=None)
@given(
    bodies=st.lists(_OBJECT_BODY, min_size=1, max_size=12),
    position=st.integers(min_value=0),
    value=st.integers(0, 255),
    cut=st.integers(min_value=0),
)
def test_parse_lines_refuses_any_damage_like_the_python_kernel(
    bodies: list[bytes], position: int, value: int, cut: int
) -> None:
    lines, hashes, offsets = _expected_frame(bodies, 0)
    damaged = bytearray(lines)
    damaged[position % len(lines)] = value
    for kernels in (PYTHON, COMPILED):
        assert kernels.parse_lines(bytes(damaged), 0) == (None if damaged != lines else (hashes, offsets))
    # A cut is accepted only on a line boundary, and then it is exactly the lines before it.
    truncated = lines[: cut % (len(lines) + 1)]
    whole = truncated.count(b"\n")
    expected = (hashes[: 32 * whole], offsets[: 8 * whole]) if truncated.endswith(b"\n") or not truncated else None
    assert PYTHON.parse_lines(truncated, 0) == COMPILED.parse_lines(truncated, 0) == expected


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "data",
    [b"{}\n", b"x" * 64 + b" {}\n", leaf_hash(b"{}").hex().upper().encode() + b" {}\n", b"\n"],
    ids=["short", "not-the-hash", "uppercase-hex", "empty-line"],
)
def test_parse_lines_refuses_malformed_lines(kernels: Kernels, data: bytes) -> None:
    assert kernels.parse_lines(data, 0) is None


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@settings(max_examples=200, deadline=None)
@given(hashes=st.lists(st.binary(min_size=32, max_size=32), max_size=33))
def test_node_level_hashes_consecutive_pairs(kernels: Kernels, hashes: list[bytes]) -> None:
    expected = b"".join(node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes) - 1, 2))
    packed = b"".join(hashes)
    assert kernels.node_level(packed) == expected
    assert kernels.node_level(bytearray(packed)) == expected


class _Str(str):
    pass


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=4)
_ODD = st.floats(allow_nan=False) | st.builds(_Str, st.text(max_size=3)) | st.binary(max_size=3)
_VALUES = st.recursive(
    _SCALARS | _ODD,
    lambda inner: st.lists(inner, max_size=4)
    | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), inner, max_size=4),
    max_leaves=20,
)


@both
@settings(max_examples=500, deadline=None)
@given(st.lists(_VALUES, max_size=5))
def test_is_plain_agrees(values: list[Any]) -> None:
    assert COMPILED.is_plain(values) == PYTHON.is_plain(values)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
def test_is_plain_depth_limit(kernels: Kernels) -> None:
    def nested(depth: int) -> Any:
        value: Any = 0
        for _ in range(depth):
            value = [value]
        return value

    assert kernels.is_plain([nested(254)]) and not kernels.is_plain([nested(255)])
    assert kernels.is_plain([]) and kernels.is_plain(({"a": (1, None, True)},))
    assert not kernels.is_plain([{1: 2}]) and not kernels.is_plain([1.5]) and not kernels.is_plain([_Str("x")])


_SCENARIO = """
import json, sys
from pathlib import Path
from fractalops.planes.evidence import ChronicleLog
from fractalops.planes.evidence._kernels import IMPLEMENTATION
root, other = Path(sys.argv[1]), Path(sys.argv[2])
log = ChronicleLog(root)
for start in range(0, 300, 70):
    log.append_many([{"i": i, "note": "entrée ✓", "f": 1.5 if i % 7 == 0 else i, "t": [i, None]}
                     for i in range(start, min(start + 70, 300))])
log.append({"last": True})
log.checkpoint()
reader = ChronicleLog(other, readonly=True)
print(json.dumps({"kernels": IMPLEMENTATION, "size": log.size, "root": log.root_hash().hex(),
                  "other_size": reader.size, "other_root": reader.root_hash().hex(),
                  "other_verify": reader.verify().ok}))
"""


def _run_scenario(kernels: str, root: Path, other: Path) -> dict[str, Any]:
    env = {**os.environ, "FRACTALOPS_EVIDENCE_KERNELS": kernels}
    done = subprocess.run(
        [sys.executable, "-c", _SCENARIO, str(root), str(other)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@both
def test_both_kernels_write_and_read_the_same_log(tmp_path: Path) -> None:
    # A process on the compiled kernels writes a log and loads + verifies the log the Python one wrote,
    # then a process on the Python kernels loads + verifies the compiled one's log.
    python_root, compiled_root = tmp_path / "python", tmp_path / "compiled"
    python = _run_scenario("python", python_root, python_root)
    compiled = _run_scenario("compiled", compiled_root, python_root)
    crossed = _run_scenario("python", tmp_path / "scratch", compiled_root)
    assert (python["kernels"], compiled["kernels"]) == ("python", "compiled")
    entries = Path("logs/main/entries.log")
    assert (python_root / entries).read_bytes() == (compiled_root / entries).read_bytes()
    assert python["size"] == compiled["size"] == compiled["other_size"] == crossed["other_size"] == 301
    assert python["root"] == compiled["root"] == compiled["other_root"] == crossed["other_root"]
    assert compiled["other_verify"] and crossed["other_verify"]
    with ChronicleLog(compiled_root, readonly=True) as log:
        assert log.lookup(log.ref(300).uri) == {"last": True}
        assert log.entry(7) == {"i": 7, "note": "entrée ✓", "f": 1.5, "t": [7, None]}
        assert log.leaf_hash(5) == leaf_hash((compiled_root / entries).read_bytes().split(b"\n")[5][65:])
