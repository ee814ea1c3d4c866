"""Redaction of secret values from every byte that leaves the adapter boundary (the one implementation)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MIN_REDACT_LEN", "Redactor", "StreamRedactor"]

_log = logging.getLogger(__name__)
MIN_REDACT_LEN = 4
"""Values shorter than this are not redacted (they would shred ordinary text); they are logged by name only."""

_DEFAULT_LABEL = "secret"


def _pairs(values: Mapping[str, str] | Iterable[str | tuple[str, str]] | str) -> list[tuple[str, Any]]:
    if isinstance(values, str):  # one value, never its characters
        return [(_DEFAULT_LABEL, values)]
    if isinstance(values, Mapping):
        return list(values.items())
    return [v if isinstance(v, tuple) and len(v) == 2 else (_DEFAULT_LABEL, v) for v in values]


def _forms(value: str) -> list[str]:
    """The value itself and its JSON-string-escaped forms (ASCII-only and raw-unicode), deduplicated."""
    forms = [value]
    for ensure_ascii in (True, False):
        escaped = json.dumps(value, ensure_ascii=ensure_ascii)[1:-1]
        if escaped not in forms:
            forms.append(escaped)
    return forms


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")  # env values carry undecodable bytes this way
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


class Redactor:
    """Replace every occurrence of each secret value with `[REDACTED:<label>]`.

    `values` is a mapping label → value (the env name or ref; e.g. `resolve_asset_secrets` output), plain values
    (labelled `secret`), `(label, value)` pairs, or one value as a `str`. Each value's JSON-escaped forms are
    redacted too. Longer values win where secrets overlap. Values shorter than `MIN_REDACT_LEN` are skipped with
    a warning that names only the label. `repr` never shows values. Immutable, so safe to share across threads;
    use `Redactor.of(...)` to accept anything a caller may pass (None, values, or a `Redactor`).
    """

    __slots__ = ("_labels", "_text_re", "_bytes_re", "_bytes_labels", "_bytes_forms", "_max_len")

    def __init__(self, values: Mapping[str, str] | Iterable[str | tuple[str, str]] | str = ()) -> None:
        labels: dict[str, str] = {}
        for label, value in _pairs(values):
            if isinstance(value, str) and not value:
                continue
            if not isinstance(value, str):
                _log.warning("secret %s is not a string (%s) and cannot be redacted", label, type(value).__name__)
                continue
            if len(value) < MIN_REDACT_LEN:
                _log.warning("secret %s is shorter than %d characters and cannot be redacted", label, MIN_REDACT_LEN)
                continue
            for form in _forms(value):
                labels.setdefault(form, label)
        self._labels = labels
        self._bytes_labels = {_encode(form): label for form, label in labels.items()}
        ordered = sorted(labels, key=len, reverse=True)
        self._text_re = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None
        self._bytes_forms = tuple(sorted(self._bytes_labels, key=len, reverse=True))
        self._bytes_re = re.compile(b"|".join(re.escape(v) for v in self._bytes_forms)) if self._bytes_forms else None
        self._max_len = len(self._bytes_forms[0]) if self._bytes_forms else 0

    @classmethod
    def of(cls, source: Any) -> Redactor:
        """One entry point for whatever a caller holds: None (redacts nothing), an existing `Redactor` (returned
        as is), one value (`str`), a mapping label → value, or an iterable of values / `(label, value)` pairs."""
        if source is None:
            return cls()
        if isinstance(source, Redactor):
            return source
        if isinstance(source, str | Mapping):
            return cls(source)
        if hasattr(source, "redact") or not isinstance(source, Iterable):
            raise TypeError(
                f"cannot redact with a {type(source).__name__}: pass None, a Redactor, a str, a mapping "
                "label → value, or an iterable of values")
        return cls(source)

    def __repr__(self) -> str:
        return f"Redactor(labels={list(self.labels)})"

    def __bool__(self) -> bool:
        return bool(self._labels)

    @property
    def labels(self) -> tuple[str, ...]:
        """The sorted labels of the redacted secrets (never their values)."""
        return tuple(sorted(set(self._labels.values())))

    @property
    def max_len(self) -> int:
        """Longest redacted form in UTF-8 bytes (0 when there is nothing to redact)."""
        return self._max_len

    def redact(self, text: str) -> str:
        if self._text_re is None:
            return text
        return self._text_re.sub(lambda m: f"[REDACTED:{self._labels[m.group(0)]}]", text)

    def redact_bytes(self, data: bytes) -> bytes:
        if self._bytes_re is None:
            return data
        return self._bytes_re.sub(self._bytes_marker, data)

    def redact_obj(self, obj: Any) -> Any:
        """Redact every string inside plain JSON-like data: dict keys and values, list and tuple items (tuples come
        back as lists); other values are returned unchanged."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {self.redact_obj(k): self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.redact_obj(v) for v in obj]
        return obj

    def stream(self) -> StreamRedactor:
        """A fresh chunk-by-chunk redactor for one output stream."""
        return StreamRedactor(self)

    def _bytes_marker(self, match: re.Match[bytes]) -> bytes:
        return f"[REDACTED:{self._bytes_labels[match.group(0)]}]".encode()

    def _bytes_matches(self, data: bytes) -> Iterable[re.Match[bytes]]:
        return self._bytes_re.finditer(data) if self._bytes_re is not None else ()

    def _prefix_tail(self, data: bytes) -> int:
        """Length of the longest suffix of `data` that is a proper prefix of some redacted form (0 if none)."""
        best, n = 0, len(data)
        for form in self._bytes_forms:
            window = min(n, len(form) - 1)
            if window <= best:
                break  # forms are sorted longest first, so no later form can hold back more
            first = form[:1]
            i = data.find(first, n - window)
            while i != -1 and n - i > best:
                if form.startswith(data[i:]):
                    best = n - i  # leftmost candidate is the longest for this form
                    break
                i = data.find(first, i + 1)
        return best


class StreamRedactor:
    """Redact a byte stream fed in arbitrary chunks, including secrets split across chunk boundaries.

    Holds back only the longest tail that is still a proper prefix of some secret (so live output is not delayed
    by `max_len - 1` bytes); call `flush()` at the end. The concatenated output always equals
    `redactor.redact_bytes(whole stream)`.
    """

    __slots__ = ("_redactor", "_pending")

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = b""

    def __repr__(self) -> str:
        return f"StreamRedactor(pending={len(self._pending)} bytes)"

    def feed(self, chunk: bytes) -> bytes:
        """Redacted bytes that are now safe to emit (possibly empty)."""
        redactor = self._redactor
        if not redactor:
            return chunk
        buf = self._pending + chunk
        hold = len(buf) - redactor._prefix_tail(buf)
        out: list[bytes] = []
        pos = 0
        # A match starting before `hold` is final: were a longer secret to match there once more bytes arrive,
        # buf[start:] would be a proper prefix of it, so `hold` would be at or before `start`.
        for match in redactor._bytes_matches(buf):
            if match.start() >= hold:
                break
            out.append(buf[pos:match.start()])
            out.append(redactor._bytes_marker(match))
            pos = match.end()
        emit_end = max(hold, pos)
        out.append(buf[pos:emit_end])
        self._pending = buf[emit_end:]
        return b"".join(out)

    def flush(self) -> bytes:
        """Redact and return whatever is still held back."""
        rest, self._pending = self._pending, b""
        return self._redactor.redact_bytes(rest)
