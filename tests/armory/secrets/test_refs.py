from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fractalops.armory.secrets import SecretRef, parse_secret_ref
from fractalops.errors import SecretError


def test_parse_round_trip() -> None:
    ref = parse_secret_ref("openbao://kv/fractalops/codex#api_key")
    assert ref == SecretRef(mount="kv", path="fractalops/codex", field="api_key")
    assert str(ref) == ref.uri == "openbao://kv/fractalops/codex#api_key"
    assert parse_secret_ref(ref) is ref


@pytest.mark.parametrize(
    "text, why",
    [
        ("vault://kv/a#b", "must start with"),
        ("openbao://kv/a", "exactly one '#'"),
        ("openbao://kv/a#b#c", "exactly one '#'"),
        ("openbao://kv/a#", "field"),
        ("openbao://kv#b", "mount and a path"),
        ("openbao://kv//a#b", "empty path segment"),
        ("openbao://kv/a/#b", "empty path segment"),
        ("openbao:///a#b", "empty path segment"),
        ("openbao://kv/../a#b", "'..'"),
        ("openbao://kv/a b#c", "segment"),
        ("", "must start with"),
    ],
)
def test_malformed_refs_say_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(SecretError) as info:
        parse_secret_ref(text)
    assert why in str(info.value)
    assert "openbao://kv/fractalops/codex#api_key" in str(info.value)  # shows the expected form


def test_non_string_ref_is_rejected() -> None:
    with pytest.raises(SecretError):
        parse_secret_ref(42)  # type: ignore[arg-type]


_segment = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,8}", fullmatch=True)


@settings(derandomize=True, deadline=None)
@given(mount=_segment, path=st.lists(_segment, min_size=1, max_size=4), field=_segment)
def test_any_well_formed_ref_round_trips(mount: str, path: list[str], field: str) -> None:
    text = f"openbao://{mount}/{'/'.join(path)}#{field}"
    ref = parse_secret_ref(text)
    assert (ref.mount, ref.path, ref.field) == (mount, "/".join(path), field)
    assert str(ref) == text
