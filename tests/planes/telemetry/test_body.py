"""Bodies are bounded after decompression: a gzip bomb stops at the limit, a broken stream is a clear 400."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from fractalops.errors import ConfigError, TelemetryBodyError
from fractalops.planes.telemetry.body import DEFAULT_MAX_BODY_BYTES, decompressed, max_body_bytes, wire_cap

MIB = 1024 * 1024


def _status(body: bytes, encoding: str, limit: int) -> int:
    with pytest.raises(TelemetryBodyError) as caught:
        decompressed(body, encoding, limit)
    return caught.value.status


def test_plain_gzip_deflate_and_multi_member_gzip_decode() -> None:
    data = b'{"batch": []}' * 1000
    assert decompressed(data, "", len(data)) == data
    assert decompressed(gzip.compress(data), "gzip", len(data)) == data
    assert decompressed(gzip.compress(data), "x-gzip", len(data)) == data
    assert decompressed(zlib.compress(data), "deflate", len(data)) == data
    raw = zlib.compressobj(wbits=-15)
    assert decompressed(raw.compress(data) + raw.flush(), "deflate", len(data)) == data
    assert decompressed(gzip.compress(data[:7]) + gzip.compress(data[7:]), "gzip", len(data)) == data


def test_exactly_the_limit_passes_one_byte_more_is_413() -> None:
    data = b"x" * 5000
    assert decompressed(gzip.compress(data), "gzip", 5000) == data
    assert _status(gzip.compress(data + b"y"), "gzip", 5000) == 413
    assert _status(data + b"y", "identity", 5000) == 413


def test_a_gzip_bomb_stops_at_the_limit_without_inflating_it() -> None:
    bomb = gzip.compress(b"\0" * (200 * MIB), compresslevel=9)  # ~200 KB on the wire
    assert len(bomb) < MIB
    tracemalloc.start()
    try:
        assert _status(bomb, "gzip", MIB) == 413
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB, f"decoding the bomb allocated {peak} bytes"
    assert _status(bomb, "gzip", DEFAULT_MAX_BODY_BYTES) == 413


def test_truncated_corrupt_and_trailing_garbage_are_400() -> None:
    whole = gzip.compress(b"hello" * 1000)
    for broken in (whole[:-10], whole[: len(whole) // 2], b"\x1f\x8b" + b"not gzip at all", whole + b"garbage"):
        assert _status(broken, "gzip", MIB) == 400
    assert _status(b"not deflate", "deflate", MIB) == 400
    with pytest.raises(TelemetryBodyError, match="truncated"):
        decompressed(whole[:-10], "gzip", MIB)


def test_unknown_encodings_are_415() -> None:
    assert _status(b"x", "br", MIB) == 415
    assert _status(b"x", "zstd", MIB) == 415


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRACTALOPS_TELEMETRY_MAX_BODY", raising=False)
    assert max_body_bytes() == 20 * MIB
    monkeypatch.setenv("FRACTALOPS_TELEMETRY_MAX_BODY", "1234")
    assert max_body_bytes() == 1234
    for bad in ("0", "-1", "1e6", "lots"):
        monkeypatch.setenv("FRACTALOPS_TELEMETRY_MAX_BODY", bad)
        with pytest.raises(ConfigError, match="FRACTALOPS_TELEMETRY_MAX_BODY"):
            max_body_bytes()


def test_the_wire_cap_admits_an_incompressible_body_at_the_limit() -> None:
    import os

    data = os.urandom(MIB)
    packed = gzip.compress(data)
    assert len(packed) > len(data)  # random bytes grow a little in gzip
    assert len(packed) <= wire_cap(len(data)) and decompressed(packed, "gzip", len(data)) == data
