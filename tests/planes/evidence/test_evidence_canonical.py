"""canonical_json_many (one orjson call per batch) is byte-identical to the stdlib reference encoder."""

from __future__ import annotations

import collections
import enum
import json
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fractalops.errors import EvidenceError
from fractalops.planes.evidence import ChronicleLog, leaf_hash
from fractalops.planes.evidence._canonical import canonical_json, canonical_json_many
from fractalops.planes.evidence._kernels import is_plain


def _reference(value: Any) -> bytes:
    """The canonical form, spelled out with the public stdlib API."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


# Every character hypothesis can make except lone surrogates (no UTF-8 form): controls, quotes, backslashes,
# DEL, U+2028/2029, astral planes, non-characters.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_INTS = st.integers(-(2**70), 2**70) | st.sampled_from([2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1])
_PLAIN_SCALARS = st.none() | st.booleans() | _INTS | _TEXT
_PLAIN_VALUES = st.recursive(
    _PLAIN_SCALARS,
    lambda inner: st.lists(inner, max_size=5)
    | st.lists(inner, max_size=4).map(tuple)
    | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)
_FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e16, 1e-7, -0.0, 1.0, 1e22, 5e-324])
_ANY_VALUES = st.recursive(
    _PLAIN_SCALARS | _FLOATS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except EvidenceError:
        return EvidenceError


@settings(max_examples=600, deadline=None)
@given(_PLAIN_VALUES)
def test_plain_values_encode_exactly_like_the_reference(value: Any) -> None:
    assert canonical_json_many([value]) == [_reference(value)] == [canonical_json(value)]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(_TEXT, _PLAIN_VALUES, max_size=6), min_size=1, max_size=30))
def test_plain_batches_take_the_orjson_path_and_match(batch: list[dict[str, Any]]) -> None:
    assert is_plain(batch)
    assert canonical_json_many(batch) == [_reference(v) for v in batch]


@settings(max_examples=300, deadline=None)
@given(st.lists(_ANY_VALUES, min_size=1, max_size=8))
def test_batches_with_floats_match_or_fail_like_the_reference(batch: list[Any]) -> None:
    expected = _outcome(lambda: [canonical_json(v) for v in batch])
    assert _outcome(canonical_json_many, batch) == expected
    if expected is not EvidenceError:
        assert expected == [_reference(v) for v in batch]


def test_floats_keep_python_repr_not_orjson_text() -> None:
    values = [{"a": 1e16}, {"a": 1e-7}, {"a": 2.5e-5}, {"a": -0.0}, {"a": 1.0}, {"a": 0.1}, {"ok": 1}]
    assert orjson.dumps(1e-7) == b"1e-7" and orjson.dumps(2.5e-5) == b"0.000025"  # why floats avoid orjson
    assert canonical_json_many(values) == [
        b'{"a":1e+16}', b'{"a":1e-07}', b'{"a":2.5e-05}', b'{"a":-0.0}', b'{"a":1.0}', b'{"a":0.1}', b'{"ok":1}'
    ]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "\ud800", object(), {1, 2}, b"x"])
def test_values_the_reference_refuses_are_refused_with_their_position(bad: Any) -> None:
    assert orjson.dumps(float("nan")) == b"null"  # orjson alone would silently accept NaN
    with pytest.raises(EvidenceError, match=r"entry #1 "):
        canonical_json_many([{"ok": 1}, {"x": bad}, {"ok": 2}])


class _Color(enum.Enum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


class _Tag(str):
    pass


class _BackwardsKey(str):
    def __lt__(self, other: object) -> bool:  # the reference sorts keys with __lt__
        return str.__gt__(self, other)  # type: ignore[operator]


_Point = collections.namedtuple("_Point", "x y")


@pytest.mark.parametrize(
    "value",
    [
        {"e": _Level.HIGH},
        {"t": _Tag("x")},
        {_Tag("b"): 1, "a": 2},
        {_BackwardsKey("a"): 1, _BackwardsKey("b"): 2},
        {"p": _Point(1, 2)},
        {"big": 2**64},
        {"deep": json.loads("[" * 300 + "]" * 300)},
        collections.OrderedDict([("b", 1), ("a", 2)]),
    ],
    ids=["intenum", "str-subclass", "str-subclass-key", "reordering-key", "namedtuple", "big-int", "deep",
         "ordereddict"],
)
def test_outside_the_plain_domain_the_reference_decides(value: Any) -> None:
    assert canonical_json_many([{"ok": 1}, value]) == [b'{"ok":1}', canonical_json(value)]


@pytest.mark.parametrize(
    "value",
    [
        {"c": _Color.RED},  # orjson encodes enums and UUIDs; the reference refuses them
        {"u": uuid.UUID(int=1)},
        {"f": orjson.Fragment(b'{"z":1,"a":2}')},  # raw, non-canonical JSON
        {"f": orjson.Fragment(b"1,\n,2")},  # would add a split point
        {"f": orjson.Fragment(b"1}\n")},  # would shift the split without changing the count
    ],
    ids=["enum", "uuid", "fragment", "fragment-split", "fragment-shift"],
)
def test_types_only_orjson_knows_are_refused_as_before(value: Any) -> None:
    with pytest.raises(EvidenceError):
        canonical_json(value)
    for batch in ([value], [{"ok": 1}, value], [value, {"ok": 1}, {"ok": 2}]):
        with pytest.raises(EvidenceError):
            canonical_json_many(batch)


def test_a_cycle_is_refused() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(EvidenceError, match="without cycles"):
        canonical_json_many([{"ok": 1}, cyclic])


def test_empty_batch_and_empty_values() -> None:
    assert canonical_json_many([]) == []
    assert canonical_json_many([{}, [], "", 0, None]) == [b"{}", b"[]", b'""', b"0", b"null"]


def test_append_many_writes_reference_bytes_for_mixed_batches(log: ChronicleLog) -> None:
    batch = [{"b": 1, "a": "é\n\u2028"}, {"f": 2.5, "e": _Level.HIGH}, {"nested": [{"z": None, "y": True}]}]
    refs = log.append_many(batch)
    lines = (log.root / "logs" / "main" / "entries.log").read_bytes().splitlines()
    for ref, entry, line in zip(refs, batch, lines, strict=True):
        body = canonical_json(entry)
        assert line == leaf_hash(body).hex().encode() + b" " + body
        assert ref.leaf_hash == leaf_hash(body).hex()
    assert log.verify().ok
