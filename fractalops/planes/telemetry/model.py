"""What the intake works with: sources, one decoded item (`Candidate`), the counts and the outcome of a body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

__all__ = ["Source", "COUNT_FIELDS", "Counts", "Candidate", "ReadyItems", "IntakeOutcome", "QuarantineItemJSON"]


class Source(StrEnum):
    """Where telemetry came from; also the `source` column of its warehouse rows."""

    POSTHOG = "posthog"
    """PostHog capture (`/batch/`, `/capture/`, `/e/`, `/i/v0/e/`)."""
    OTEL_TRACES = "otel_traces"
    """OTLP/HTTP spans (`/v1/traces`)."""
    OTEL_LOGS = "otel_logs"
    """OTLP/HTTP log records (`/v1/logs`)."""


COUNT_FIELDS = ("received", "stored", "quarantined", "duplicates", "refused")
"""Per source: received = stored + quarantined; a client's sent = received + duplicates; refused counts whole
bodies refused (413, undecodable, a wrong key), in no other count."""


class Counts(TypedDict):
    """One source's counts (see `COUNT_FIELDS`)."""

    received: int
    stored: int
    quarantined: int
    duplicates: int
    refused: int


@dataclass(slots=True)
class Candidate:
    """One event, span or log record as decoded, before classification."""

    key: str
    """Its identity for idempotency within (source, project): the PostHog uuid (derived from the content when the
    event has none), `trace_id:span_id` for a span, a content hash for a log record or an unparsable item."""
    name: str
    """The local name classification looks up: the PostHog event, the span name, the log record's event name."""
    raw: Callable[[], bytes]
    """The item's own payload (for the quarantine's WORM copy): only built when it is quarantined."""
    media_type: str
    """`application/json` or `application/x-protobuf` (what `raw` is, and how a replay decodes it)."""
    fields: dict[str, Any] = field(default_factory=dict)
    """Warehouse event fields besides ontology_id, project and source: event_id, ts, trace_id, session_id, attrs."""
    problem: str = ""
    """Why the item is malformed (then it is quarantined as such), empty when it is well formed."""
    convention: str = ""
    """A span's semantic-convention namespace (`http`, `db`, `rpc`, `messaging`), empty when it has none."""
    kind: str = ""
    """A span's kind (`server`, `client`, `producer`, `consumer`, `internal`)."""
    signal: str = ""
    """`logs` for a log record without an event name (classified under the signal's term)."""
    exception: bool = False
    """A log record carrying `exception.*` attributes."""


@dataclass(slots=True)
class ReadyItems:
    """The items of one body a decoder took in one pass: plainly well formed and classified by a built-in rule or an
    approved mapping, held as their warehouse column values (`EventColumns.extend_ready`).

    Exactly what `Candidate` + `Classifier.classify` + `EventColumns.append` make of the same items, without the
    per-item objects in between (a third of a body's Python time): `tests/planes/telemetry/test_ready.py` holds both
    paths to the same rows and the same quarantine. A decoder hands every other item on as a `Candidate`."""

    keys: list[str] = field(default_factory=list)
    """Each item's idempotency key, as its `Candidate.key` would be."""
    event_ids: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    """Epoch milliseconds, in the warehouse's range."""
    iris: list[str] = field(default_factory=list)
    """Global ontology IRIs, expanded."""
    trace_ids: list[str] = field(default_factory=list)
    session_ids: list[str] = field(default_factory=list)
    attrs: list[str] = field(default_factory=list)
    """JSON objects: compact and sorted, but for a raw PostHog event's `properties`, written as the client sent them
    (`posthog._raw_items`)."""
    origins: list[Any] = field(default_factory=list)
    """What each item was decoded from: `as_candidate(origin)` makes it a `Candidate` again (an item whose row the
    insert still refuses is quarantined as one)."""
    as_candidate: Callable[[Any], Candidate] | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def columns(self, kept: list[int]) -> tuple[list[str], list[int], list[str], list[str], list[str], list[str]]:
        """(event_ids, times, iris, trace_ids, session_ids, attrs) of the items at `kept` (indexes, in order)."""
        columns = (self.event_ids, self.times, self.iris, self.trace_ids, self.session_ids, self.attrs)
        if len(kept) == len(self.keys):
            return columns
        return tuple([column[i] for i in kept] for column in columns)  # type: ignore[return-value]

    def candidate(self, index: int) -> Candidate:
        """The item at `index` as a `Candidate`."""
        if self.as_candidate is None:
            raise TypeError("these ready items carry no way back to candidates (as_candidate is not set)")
        return self.as_candidate(self.origins[index])


@dataclass
class IntakeOutcome:
    """What one body did to the counts (its items, not the body: a refused body raises instead)."""

    source: Source
    project: str
    received: int = 0
    stored: int = 0
    quarantined: int = 0
    duplicates: int = 0
    reasons: list[str] = field(default_factory=list)
    """The first few quarantine reasons, for the answer (partial_success.error_message, the PostHog reply)."""

    def as_json(self) -> dict[str, Any]:
        return {"source": str(self.source), "project": self.project, "received": self.received, "stored": self.stored,
                "quarantined": self.quarantined, "duplicates": self.duplicates}


class QuarantineItemJSON(TypedDict):
    """One item of `fractalops telemetry quarantine --json`."""

    source: str
    reason: str
    received_at: str
    raw_ref: str
