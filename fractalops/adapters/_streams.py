"""Private: bounded sinks for an adapter process's (already redacted) output streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fractalops.armory.secrets.redact import Redactor

__all__ = ["CappedBuffer", "EventCollector", "MAX_EVENTS", "MAX_LINE_BYTES", "TAIL_BYTES"]

MAX_EVENTS = 10_000
MAX_LINE_BYTES = 256 * 1024
TAIL_BYTES = 64 * 1024
TAIL_EVENTS = 64


class CappedBuffer:
    """Keeps the first `cap` bytes; counts (and discards) the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._data = bytearray()
        self.dropped = 0
        self.raw_bytes = 0

    def count_raw(self, n: int) -> None:
        self.raw_bytes += n

    def append(self, chunk: bytes) -> None:
        room = self.cap - len(self._data)
        if room >= len(chunk):
            self._data += chunk
            return
        if room > 0:
            self._data += chunk[:room]
        self.dropped += len(chunk) - max(room, 0)

    def text(self) -> str:
        text = bytes(self._data).decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[... truncated {self.dropped} bytes]"
        return text


class EventCollector:
    """Splits redacted stdout into lines and parses each into an event, within a byte/count budget.

    Past the budget (a flood), lines are no longer parsed as they arrive; only the last `TAIL_BYTES` are kept and
    parsed at `close()`, so the final events (where CLIs put their answer) survive with bounded memory.
    """

    def __init__(
        self,
        parse_line: Callable[[str], dict[str, Any] | None],
        redactor: Redactor,
        on_event: Callable[[dict[str, Any]], None] | None,
        *,
        budget_bytes: int,
    ) -> None:
        self._parse = parse_line
        self._redactor = redactor
        self._on_event = on_event
        self._budget = budget_bytes
        self._partial = bytearray()
        self._head: list[dict[str, Any]] = []
        self._tail_events: list[dict[str, Any]] = []
        self._head_bytes = 0
        self._flooding = False
        self._tail = bytearray()
        self._closed = False
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        if self._flooding:
            self._keep_tail(chunk)
            return
        self._partial += chunk
        start = 0
        while True:
            nl = self._partial.find(b"\n", start)
            if nl < 0:
                break
            self._line(bytes(self._partial[start:nl + 1]))
            start = nl + 1
            if self._flooding:
                rest = bytes(self._partial[start:])
                self._partial.clear()
                self._keep_tail(rest)
                return
        del self._partial[:start]
        if len(self._partial) > MAX_LINE_BYTES:
            line = bytes(self._partial)
            self._partial.clear()
            self._line(line)

    def _keep_tail(self, chunk: bytes) -> None:
        self._tail += chunk
        if len(self._tail) > 2 * TAIL_BYTES:
            cut = len(self._tail) - TAIL_BYTES
            self.dropped += self._tail.count(b"\n", 0, cut)
            del self._tail[:cut]

    def _line(self, raw: bytes) -> None:
        self._head_bytes += len(raw)
        event = self._event(raw)
        if event is not None:
            self._head.append(event)
            if self._on_event is not None:
                self._on_event(event)
        if self._head_bytes > self._budget or len(self._head) >= MAX_EVENTS:
            self._flooding = True

    def _event(self, raw: bytes) -> dict[str, Any] | None:
        line = raw.decode("utf-8", "replace")
        try:
            event = self._parse(line)
        except Exception as exc:  # an adapter's parser bug must not lose the line
            event = {"type": "output", "text": line.rstrip("\r\n"), "parse_error": repr(exc)}
        if event is None:
            return None
        return self._redactor.redact_obj(dict(event))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._flooding:
            if self._partial:
                self._line(bytes(self._partial))
                self._partial.clear()
            return
        tail = bytes(self._tail)
        self._tail.clear()
        first_nl = tail.find(b"\n")
        if len(tail) >= TAIL_BYTES and first_nl >= 0:
            tail = tail[first_nl + 1:]  # the ring cut the first line
            self.dropped += 1
        lines = tail.splitlines(keepends=True)
        self.dropped += max(0, len(lines) - TAIL_EVENTS)
        for raw in lines[-TAIL_EVENTS:]:
            event = self._event(raw)
            if event is not None:
                self._tail_events.append(event)
                if self._on_event is not None:
                    self._on_event(event)
        self.dropped = max(self.dropped, 1)

    def events(self) -> list[dict[str, Any]]:
        if not self._flooding:
            return list(self._head)
        marker = {"type": "events_truncated", "dropped_lines": self.dropped}
        return [*self._head, marker, *self._tail_events]
