"""Canonical JSON bytes: sorted keys, compact separators, UTF-8, no NaN/Infinity.

The reference encoder is the stdlib C encoder (`json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`, then UTF-8). `canonical_json_many` encodes a whole batch with ONE
orjson call, but only when every value in the batch, at every depth, is exactly a `dict` with `str` keys, a
`list`, a `tuple`, a `str`, an `int` (64-bit), a `bool` or `None`: on that domain orjson's `OPT_SORT_KEYS`
output is byte-identical to the reference (tested with hypothesis in tests/planes/evidence/test_evidence_canonical.py).
Anything else goes through the reference encoder, value by value, with the reference's errors, so the bytes
never depend on the path: floats (accepted as before, written as Python's `repr`; orjson writes 1e-7 as
`1e-7` not `1e-07` and 2.5e-05 as `0.000025`, and turns NaN into `null` where the reference refuses it),
subclasses (IntEnum, str subclasses, namedtuples, OrderedDict), ints beyond 64 bits, nesting deeper than 254,
and types orjson alone would accept but the reference refuses (Enum, UUID, `orjson.Fragment`: still refused).
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Sequence
from typing import Any

import orjson

from fractalops.errors import EvidenceError
from fractalops.planes.evidence._kernels import is_plain

__all__ = ["canonical_json", "canonical_json_joined", "canonical_json_many"]


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:
    # The C encoder built once (JSONEncoder.encode rebuilds it per call); same output as the encoder below.
    _C_ENCODE = _c_make_encoder(None, _refuse, json.encoder.encode_basestring, None, ":", ",", True, False, False)

    def _encode(value: Any) -> str:
        return "".join(_C_ENCODE(value, 0))
else:  # pragma: no cover - CPython always has the C encoder
    _encode = json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_refuse
    ).encode


def canonical_json(value: Any, *, what: str = "entry") -> bytes:
    """Serialise `value` canonically; a value JSON cannot carry exactly is an EvidenceError."""
    try:
        text = _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise EvidenceError(
            f"{what} is not canonical-JSON serialisable ({type(exc).__name__}: {exc}); pass only dicts, lists, "
            "str, int, finite float, bool and None, without cycles"
        ) from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EvidenceError(f"{what} holds a lone surrogate and cannot be UTF-8 encoded: {exc}") from exc


_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)
# A raw newline between the batch's values: compact JSON never holds one (strings escape control characters).
_NEWLINE = orjson.Fragment(b"\n")
_SPLIT = b",\n,"


def _orjson_batch(values: Sequence[Any]) -> bytes | None:
    """`[v0,\\n,v1,\\n,...]` from ONE orjson call, or None when orjson refuses the batch."""
    interleaved: list[Any] = [_NEWLINE] * (2 * len(values) - 1)
    interleaved[0::2] = values
    try:
        return orjson.dumps(interleaved, default=_refuse, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError, ValueError, RecursionError):
        return None


def canonical_json_joined(values: Sequence[Any], *, what: str = "entry") -> tuple[bytes | memoryview, bytes]:
    """`(buffer, sep)`: the canonical bytes of every value, separated by `sep` (never inside a body).

    The batch form of `canonical_json_many` for writers that frame the bodies themselves: on the common
    domain the buffer is orjson's one output, not copied or split.
    """
    out = _orjson_batch(values) if values else None
    if out is not None and is_plain(values):
        return memoryview(out)[1:-1], _SPLIT  # the list's brackets
    return b"\n".join(_bodies(values, out, what)), b"\n"


def canonical_json_many(values: Sequence[Any], *, what: str = "entry") -> list[bytes]:
    """`[canonical_json(v) for v in values]`, byte for byte, with one orjson call on the common domain.

    Errors are the reference encoder's, naming the failing value as `{what} #<position>`.
    """
    return _bodies(values, _orjson_batch(values) if values else None, what)


def _bodies(values: Sequence[Any], out: bytes | None, what: str) -> list[bytes]:
    """`canonical_json_many` given orjson's batch output for `values` (None when it refused them)."""
    count = len(values)
    if count == 0:
        return []
    bodies = out.split(_SPLIT) if out is not None else []
    if len(bodies) != count:  # orjson refused, or an orjson.Fragment value added a raw newline
        return [canonical_json(v, what=f"{what} #{i}") for i, v in enumerate(values)]
    bodies[0] = bodies[0][1:]  # the list's brackets (cheaper than copying the whole output without them)
    bodies[-1] = bodies[-1][:-1]
    if is_plain(values):
        return bodies
    # Mixed batch: plain values keep orjson's bytes, the rest take the reference path. A Fragment that shifted
    # the split without changing the count is never plain and the reference refuses it, so the batch raises.
    return [
        bodies[i] if is_plain((v,)) else canonical_json(v, what=f"{what} #{i}") for i, v in enumerate(values)
    ]
