"""Private: value redaction that is safe across chunk boundaries of a byte stream.

`ValueRedactor` takes the secret values (or the armory's `Redactor`, whose values it reads when it can) and
replaces every occurrence (plus each value's JSON-escaped form) with `[REDACTED:<label>]`. `StreamRedactor.feed()` holds
back only the shortest tail that could still grow into a secret, so no split of a secret across reads leaks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ValueRedactor", "StreamRedactor", "redactor_from"]

MIN_REDACT_LEN = 4
"""Shorter values are not redacted (they would shred ordinary text), as in the armory `Redactor`."""


class StreamRedactor:
    """Incremental redaction of one byte stream; call `feed()` per chunk, then `flush()` once."""

    def __init__(self, owner: ValueRedactor) -> None:
        self._owner = owner
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        owner = self._owner
        if owner.pattern is None:
            return chunk
        data = self._pending + chunk
        for k in range(min(len(data), owner.max_len - 1), 0, -1):
            if data[-k:] in owner.prefixes:
                break
        else:
            k = 0
        hold = len(data) - k
        out: list[bytes] = []
        pos = 0
        for m in owner.pattern.finditer(data):
            if m.start() >= hold:
                break
            out.append(data[pos:m.start()])
            out.append(owner.marker(m.group(0)))
            pos = m.end()
        cut = max(hold, pos)
        out.append(data[pos:cut])
        self._pending = data[cut:]
        return b"".join(out)

    def flush(self) -> bytes:
        rest, self._pending = self._pending, b""
        return self._owner.redact_bytes(rest)


class ValueRedactor:
    """Whole-value and streaming redaction of a fixed set of secret values, as `[REDACTED:<label>]`.

    Same marker and minimum length as the armory `Redactor`; additionally catches each value's JSON-escaped
    form (a secret echoed inside a JSON event line) and holds back less in a stream (only a real prefix).
    """

    def __init__(self, values: Mapping[str, str] | Iterable[str | tuple[str, str]] = ()) -> None:
        pairs = list(values.items()) if isinstance(values, Mapping) else [
            v if isinstance(v, tuple) else ("secret", v) for v in values
        ]
        labels: dict[bytes, str] = {}
        for label, value in pairs:
            if not isinstance(value, str) or len(value) < MIN_REDACT_LEN:
                continue
            labels.setdefault(value.encode(), label)
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                labels.setdefault(escaped.encode(), label)
        ordered = sorted(labels, key=len, reverse=True)
        self._labels = labels
        self.pattern = re.compile(b"|".join(re.escape(v) for v in ordered)) if ordered else None
        self.max_len = max((len(v) for v in ordered), default=0)
        self.prefixes = {v[:i] for v in ordered for i in range(1, len(v))}

    def __repr__(self) -> str:
        return f"ValueRedactor({len(self._labels)} values: {sorted(set(self._labels.values()))})"

    def marker(self, value: bytes) -> bytes:
        return f"[REDACTED:{self._labels[value]}]".encode()

    def _sub(self, m: re.Match[bytes]) -> bytes:
        return self.marker(m.group(0))

    def redact_bytes(self, data: bytes) -> bytes:
        return self.pattern.sub(self._sub, data) if self.pattern is not None else data

    def redact(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.redact_bytes(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")

    def redact_obj(self, obj: Any) -> Any:
        """Redact every string (keys too) inside plain JSON-like data."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {self.redact_obj(k): self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.redact_obj(v) for v in obj]
        return obj

    def stream(self) -> StreamRedactor:
        return StreamRedactor(self)


def redactor_from(redact: Any) -> ValueRedactor:
    """Accept None, secret values (iterable, or mapping label → value), a `ValueRedactor`, or the armory's
    `Redactor` (whose value → label table it reuses)."""
    if redact is None:
        return ValueRedactor()
    if isinstance(redact, ValueRedactor):
        return redact
    if isinstance(redact, str):
        return ValueRedactor([redact])
    table = getattr(redact, "_labels", None)
    if isinstance(table, Mapping):
        return ValueRedactor([(label, value) for value, label in table.items()])
    if hasattr(redact, "redact"):
        raise TypeError(f"cannot read the secret values of {type(redact).__name__}; pass the values instead")
    return ValueRedactor(redact)
