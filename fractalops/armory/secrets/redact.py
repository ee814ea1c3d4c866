"""Redaction of secret values from every byte that leaves the adapter boundary."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping

__all__ = ["MIN_REDACT_LEN", "Redactor", "StreamRedactor"]

_log = logging.getLogger(__name__)
MIN_REDACT_LEN = 4
"""Values shorter than this are not redacted (they would shred ordinary text); they are logged by name only."""


class Redactor:
    """Replace every occurrence of each secret value with `[REDACTED:<label>]`.

    `values` is either a mapping label → value (the env name or ref; e.g. `resolve_asset_secrets` output)
    or plain values (labelled `secret`). Each value's JSON-escaped form is redacted too. Longer values win
    where secrets overlap. `repr` never shows values. `_labels` (value → label) is read by the adapters.
    """

    __slots__ = ("_labels", "_text_re", "_bytes_re", "_bytes_labels", "max_len")

    def __init__(self, values: Mapping[str, str] | Iterable[str]) -> None:
        pairs = list(values.items()) if isinstance(values, Mapping) else [("secret", v) for v in values]
        labels: dict[str, str] = {}
        for label, value in pairs:
            if not isinstance(value, str) or not value:
                continue
            if len(value) < MIN_REDACT_LEN:
                _log.warning("secret %s is shorter than %d characters and cannot be redacted", label, MIN_REDACT_LEN)
                continue
            labels.setdefault(value, label)
            # The same secret inside a JSON string (quotes, backslashes, control chars escaped).
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                labels.setdefault(escaped, label)
            escaped_ascii = json.dumps(value, ensure_ascii=False)[1:-1]
            if escaped_ascii != value:
                labels.setdefault(escaped_ascii, label)
        self._labels = labels
        self._bytes_labels = {value.encode("utf-8"): label for value, label in labels.items()}
        ordered = sorted(labels, key=len, reverse=True)
        self._text_re = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None
        ordered_b = sorted(self._bytes_labels, key=len, reverse=True)
        self._bytes_re = re.compile(b"|".join(re.escape(v) for v in ordered_b)) if ordered_b else None
        self.max_len = max((len(v) for v in self._bytes_labels), default=0)
        """Longest secret in bytes; a stream keeps `max_len - 1` bytes back."""

    def __repr__(self) -> str:
        return f"Redactor(labels={sorted(set(self._labels.values()))})"

    def __bool__(self) -> bool:
        return bool(self._labels)

    def redact(self, text: str) -> str:
        if self._text_re is None:
            return text
        return self._text_re.sub(lambda m: f"[REDACTED:{self._labels[m.group(0)]}]", text)

    def redact_bytes(self, data: bytes) -> bytes:
        if self._bytes_re is None:
            return data
        return self._bytes_re.sub(lambda m: f"[REDACTED:{self._bytes_labels[m.group(0)]}]".encode(), data)

    def stream(self) -> StreamRedactor:
        """A fresh chunk-by-chunk redactor for one output stream."""
        return StreamRedactor(self)

    def _bytes_matches(self, data: bytes) -> Iterable[re.Match[bytes]]:
        return self._bytes_re.finditer(data) if self._bytes_re is not None else ()

    def _label_for(self, value: bytes) -> str:
        return self._bytes_labels[value]


class StreamRedactor:
    """Redact a byte stream fed in arbitrary chunks, including secrets split across chunk boundaries.

    Holds back at most `max_len - 1` bytes that could still be the start of a secret; call `flush()` at the end.
    """

    __slots__ = ("_redactor", "_pending")

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = b""

    def __repr__(self) -> str:
        return f"StreamRedactor(pending={len(self._pending)} bytes)"

    def feed(self, chunk: bytes) -> bytes:
        """Redacted bytes that are now safe to emit (possibly empty)."""
        buf = self._pending + chunk
        keep = self._redactor.max_len - 1
        if keep <= 0:
            self._pending = b""
            return self._redactor.redact_bytes(buf)
        boundary = len(buf) - keep
        out: list[bytes] = []
        pos = 0
        # A match starting before `boundary` is fully visible (no secret is longer than keep + 1 bytes).
        for match in self._redactor._bytes_matches(buf):
            if match.start() >= boundary:
                break
            out.append(buf[pos:match.start()])
            out.append(f"[REDACTED:{self._redactor._label_for(match.group(0))}]".encode())
            pos = match.end()
        emit_end = max(boundary, pos)
        out.append(buf[pos:emit_end])
        self._pending = buf[emit_end:]
        return b"".join(out)

    def flush(self) -> bytes:
        """Redact and return whatever is still held back."""
        rest, self._pending = self._pending, b""
        return self._redactor.redact_bytes(rest)
