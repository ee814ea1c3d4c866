"""Streaming redaction: no split of a secret across chunk boundaries leaks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fractalops.adapters._redact import ValueRedactor, redactor_from
from fractalops.armory.secrets import Redactor

SECRETS = {"API_KEY": "canary-7f3a9c1e", "TOKEN": "canary-7f3a", "QUOTED": 'q"uo\\te-secret'}


def _stream(redactor: ValueRedactor, data: bytes, cuts: list[int]) -> bytes:
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
    redactor = ValueRedactor(SECRETS)
    data = b"".join(pieces)
    out = _stream(redactor, data, cuts)
    assert out == redactor.redact_bytes(data)
    for value in (b"canary-7f3a", b'q"uo\\te-secret', b'q\\"uo\\\\te-secret'):
        assert value not in out


def test_labels_short_values_and_armory_redactor() -> None:
    redactor = ValueRedactor({"API_KEY": "canary-7f3a9c1e", "PIN": "123"})
    assert redactor.redact("k=canary-7f3a9c1e pin=123") == "k=[REDACTED:API_KEY] pin=123"
    wrapped = redactor_from(Redactor({"TOK": "zzzz-token"}))
    assert wrapped.redact("tok=zzzz-token") == "tok=[REDACTED:TOK]"
    assert redactor_from(["abcd-1234"]).redact_obj({"abcd-1234": ["x abcd-1234"]}) == {
        "[REDACTED:secret]": ["x [REDACTED:secret]"]}
    assert redactor_from(None).redact("anything") == "anything"


def test_stream_holds_back_only_real_prefixes() -> None:
    stream = ValueRedactor({"K": "secret-value"}).stream()
    assert stream.feed(b"hello world\n") == b"hello world\n"
    assert stream.feed(b"tail secr") == b"tail "
    assert stream.feed(b"et-value!") == b"[REDACTED:K]!"
