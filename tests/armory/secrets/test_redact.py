"""The one secret redactor: whole-value, JSON-escaped, recursive and streaming redaction (no split leaks)."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fractalops.armory.secrets import MIN_REDACT_LEN, Redactor, StreamRedactor


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


# Merged from the former adapters redactor tests (tests/adapters/test_redact.py).

SECRETS = {"API_KEY": "canary-7f3a9c1e", "TOKEN": "canary-7f3a", "QUOTED": 'q"uo\\te-secret'}


def _stream(redactor: Redactor, data: bytes, cuts: list[int]) -> bytes:
    stream, out, pos = redactor.stream(), b"", 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        out += stream.feed(data[pos:cut])
        pos = cut
    return out + stream.flush()


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from([b"canary-7f3a9c1e", b"canary-7f3a", b"canary-", b"x", b"\n", b"ca",
                                     b'q\\"uo\\\\te-secret', b'q"uo\\te-secret']), max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_every_split_is_redacted(pieces: list[bytes], cuts: list[int]) -> None:
    redactor = Redactor(SECRETS)
    data = b"".join(pieces)
    out = _stream(redactor, data, cuts)
    assert out == redactor.redact_bytes(data)
    for value in (b"canary-7f3a", b'q"uo\\te-secret', b'q\\"uo\\\\te-secret'):
        assert value not in out


def test_labels_short_values_and_armory_redactor() -> None:
    redactor = Redactor({"API_KEY": "canary-7f3a9c1e", "PIN": "123"})
    assert redactor.redact("k=canary-7f3a9c1e pin=123") == "k=[REDACTED:API_KEY] pin=123"
    wrapped = Redactor.of(Redactor({"TOK": "zzzz-token"}))
    assert wrapped.redact("tok=zzzz-token") == "tok=[REDACTED:TOK]"
    assert Redactor.of(["abcd-1234"]).redact_obj({"abcd-1234": ["x abcd-1234"]}) == {
        "[REDACTED:secret]": ["x [REDACTED:secret]"]}
    assert Redactor.of(None).redact("anything") == "anything"


def test_stream_holds_back_only_real_prefixes() -> None:
    stream = Redactor({"K": "secret-value"}).stream()
    assert stream.feed(b"hello world\n") == b"hello world\n"
    assert stream.feed(b"tail secr") == b"tail "
    assert stream.feed(b"et-value!") == b"[REDACTED:K]!"


# The unified API's own guarantees.


def test_of_accepts_every_source_and_refuses_the_rest() -> None:
    existing = Redactor({"K": "value-1234"})
    assert Redactor.of(existing) is existing
    assert Redactor.of("value-1234").redact("a value-1234") == "a [REDACTED:secret]"  # one value, not its chars
    assert Redactor("value-1234").redact("value-1234") == "[REDACTED:secret]"
    assert Redactor.of({"K": "value-1234"}).labels == ("K",)
    assert Redactor.of([("L", "value-1234"), "other-5678"]).redact("value-1234 other-5678") == (
        "[REDACTED:L] [REDACTED:secret]")
    assert not Redactor.of(None) and not Redactor.of([])
    with pytest.raises(TypeError, match="cannot redact with a int"):
        Redactor.of(1234)

    class _Foreign:
        def redact(self, text: str) -> str:
            return text

    with pytest.raises(TypeError, match="_Foreign"):
        Redactor.of(_Foreign())


def test_short_or_non_string_values_are_logged_by_label_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="fractalops.armory.secrets.redact"):
        r = Redactor({"PIN": "123", "NUM": 98765432})  # type: ignore[dict-item]
    assert not r
    text = "\n".join(caplog.messages)
    assert f"secret PIN is shorter than {MIN_REDACT_LEN} characters" in text and "secret NUM" in text
    assert "123" not in text and "98765432" not in text


def test_both_json_escaped_forms_and_recursive_objects() -> None:
    secret = 'pä"ss\nwörd'
    r = Redactor({"K": secret})
    for ensure_ascii in (True, False):
        line = json.dumps({"v": secret, secret: [secret, (1, secret)]}, ensure_ascii=ensure_ascii)
        assert r.redact(line).count("[REDACTED:K]") == 4
        assert r.redact_bytes(line.encode()).count(b"[REDACTED:K]") == 4
    assert r.redact_obj({secret: [secret, (1, None, f"x{secret}")], "n": 3}) == {
        "[REDACTED:K]": ["[REDACTED:K]", [1, None, "x[REDACTED:K]"]], "n": 3}


def test_env_value_with_undecodable_bytes_is_redacted_in_raw_output() -> None:
    value = b"tok-\xff\xfe-raw".decode("utf-8", "surrogateescape")  # as os.environ holds it
    r = Redactor({"RAW": value})
    assert r.redact_bytes(b"x tok-\xff\xfe-raw y") == b"x [REDACTED:RAW] y"
    assert r.redact(f"x {value} y") == "x [REDACTED:RAW] y"


def test_stream_emits_everything_that_cannot_start_a_secret() -> None:
    r = Redactor({"A": "abcdefghij", "B": "xyz-0123456789"})
    s = r.stream()
    assert isinstance(s, StreamRedactor)
    assert s.feed(b"line one\n") == b"line one\n"  # nothing held back when no tail is a secret prefix
    assert s.feed(b"abcdefgh") == b""  # a real prefix of A waits
    assert s.feed(b"Z") == b"abcdefghZ"  # and is released as soon as it cannot grow into A
    assert s.feed(b"..xyz-01") == b".."
    assert s.feed(b"23456789 abcdefghij") == b"[REDACTED:B] [REDACTED:A]"
    assert s.flush() == b""
    assert r.max_len == 14 and Redactor([]).max_len == 0


def test_stream_without_secrets_passes_chunks_through() -> None:
    s = Redactor.of(None).stream()
    assert s.feed(b"abc") == b"abc" and s.flush() == b""


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    secrets=st.lists(st.text(alphabet='ab"\\\nä', min_size=4, max_size=8), min_size=1, max_size=3),
    body=st.lists(st.sampled_from(["a", "b", '"', "\\", "\n", "ä", "<S>", "<J>"]), max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=10),
)
def test_stream_equals_whole_buffer_with_escaped_and_multibyte_secrets(
    secrets: list[str], body: list[str], cuts: list[int]
) -> None:
    r = Redactor({f"S{i}": s for i, s in enumerate(secrets)})
    text = "".join(secrets[0] if p == "<S>" else json.dumps(secrets[-1])[1:-1] if p == "<J>" else p for p in body)
    data = text.encode()
    out = _stream(r, data, cuts)
    assert out == r.redact_bytes(data) == r.redact(text).encode()
    if "<S>" in body:
        assert secrets[0].encode() not in out
    if "<J>" in body:
        assert json.dumps(secrets[-1])[1:-1].encode() not in out
