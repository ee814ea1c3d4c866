from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from fractalops.armory.secrets import Redactor


def test_redacts_every_occurrence_with_its_label() -> None:
    r = Redactor({"CODEX_API_KEY": "sk-abc123", "openbao://kv/x#y": "pa55word"})
    out = r.redact("key=sk-abc123 again sk-abc123 and pa55word.")
    assert out == "key=[REDACTED:CODEX_API_KEY] again [REDACTED:CODEX_API_KEY] and [REDACTED:openbao://kv/x#y]."
    assert r.redact_bytes(b"x sk-abc123 y") == b"x [REDACTED:CODEX_API_KEY] y"


def test_plain_values_and_short_values() -> None:
    r = Redactor(["longsecret", "abc", ""])
    assert r.redact("abc longsecret") == "abc [REDACTED:secret]"  # < 4 chars is never redacted
    assert not Redactor(["ab"])
    assert Redactor([]).redact("unchanged") == "unchanged"


def test_longest_overlapping_secret_wins() -> None:
    r = Redactor({"SHORT": "token", "LONG": "token-extended"})
    assert r.redact("a token-extended b token") == "a [REDACTED:LONG] b [REDACTED:SHORT]"


def test_json_escaped_form_is_redacted() -> None:
    secret = 'p"ss\\word'
    r = Redactor({"K": secret})
    assert secret not in r.redact(json.dumps({"v": secret}))
    assert "[REDACTED:K]" in r.redact(json.dumps({"v": secret}))


def test_repr_never_shows_values() -> None:
    r = Redactor({"K": "supersecretvalue"})
    assert "supersecretvalue" not in repr(r) and "K" in repr(r)
    assert "supersecretvalue" not in repr(r.stream())


def test_stream_handles_a_secret_split_across_chunks() -> None:
    r = Redactor({"K": "SECRETVALUE"})
    s = r.stream()
    out = b"".join([s.feed(b"head SEC"), s.feed(b"RETVA"), s.feed(b"LUE tail SECRE"), s.feed(b"T"), s.flush()])
    assert out == b"head [REDACTED:K] tail SECRET"
    # Nothing emitted early may contain a prefix that later turns into the secret.
    s = r.stream()
    first = s.feed(b"xxxxxxxxxxxxxxxxxxSECRETVAL")
    assert b"SECRETVAL" not in first
    assert first + s.feed(b"UE") + s.flush() == b"xxxxxxxxxxxxxxxxxx[REDACTED:K]"


def test_stream_single_bytes() -> None:
    r = Redactor({"A": "abcd", "B": "bcdefgh"})
    data = b"zabcdefgh abcd bcdefgh"
    s = r.stream()
    out = b"".join(s.feed(data[i:i + 1]) for i in range(len(data))) + s.flush()
    assert out == r.redact_bytes(data)


_alphabet = st.sampled_from(list("abcSEKxy"))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    secrets=st.lists(st.text(alphabet="abcSEK", min_size=4, max_size=9), min_size=1, max_size=3),
    body=st.lists(st.one_of(st.text(alphabet="abcSEKxy", max_size=12), st.just("<S>")), max_size=10),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_stream_equals_whole_buffer_redaction(secrets: list[str], body: list[str], cuts: list[int]) -> None:
    r = Redactor({f"S{i}": s for i, s in enumerate(secrets)})
    data = "".join(secrets[0] if part == "<S>" else part for part in body).encode()
    points = sorted({c for c in cuts if c <= len(data)} | {0, len(data)})
    s = r.stream()
    out = b"".join(s.feed(data[a:b]) for a, b in zip(points, points[1:], strict=False)) + s.flush()
    assert out == r.redact_bytes(data)
    for secret in secrets:
        assert secret.encode() not in out or secret.encode() in r.redact_bytes(data)
