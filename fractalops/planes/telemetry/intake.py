"""`TelemetryIntake`: decode → validate → classify → one batched warehouse insert, with exact counts.

One body is one transaction of the books (`store.TelemetryStore`): the items it makes seen, its quarantine index and
its counts commit together, after the warehouse took its events (one insert) and its quarantine rows. A failure
before that commit rolls the books back, so the answer is a 5xx only when nothing was acknowledged: the client's
retry is taken as new, and re-inserting the same event ids is idempotent in the warehouse (ReplacingMergeTree on
(project, event_id)). Items already seen — re-sent by a retry, or twice in one body — are counted as duplicates and
not stored again. Quarantined items keep their raw payload in the evidence WORM store and their reason in the
warehouse's `quarantine` table; a replay (after an `ontology_mapping` for their name was applied) classifies them
into `events`, moving them from quarantined to stored.

The server process is the single writer of the embedded warehouse, and this class serializes its writes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

from fractalops.errors import EvidenceError, TelemetryBodyError
from fractalops.planes.evidence import ArtifactStore
from fractalops.planes.semantics import SemanticGraph
from fractalops.planes.telemetry import otlp
from fractalops.planes.telemetry._gc import collections_deferred
from fractalops.planes.telemetry.body import decompressed, max_body_bytes
from fractalops.planes.telemetry.classify import MALFORMED, Classifier, Verdict
from fractalops.planes.telemetry.model import Candidate, Counts, IntakeOutcome, ReadyItems, Source
from fractalops.planes.telemetry.posthog import (
    load_json,
    parse_posthog_body,
    posthog_candidate,
    posthog_items,
)
from fractalops.planes.telemetry.project_keys import POSTHOG_KEYS_ENV, project_for_key
from fractalops.planes.telemetry.store import QuarantineRow, StoreBatch, TelemetryStore
from fractalops.planes.warehouse import EventColumns, WarehouseProtocol
from fractalops.planes.warehouse.models import stable_id

__all__ = ["TelemetryIntake", "ReplayResult", "SortedBody", "sort_body"]

_log = logging.getLogger(__name__)
_REASONS_KEPT = 5
_REPLAY_PAGE = 500
_FLUSH_PAGE = 1000


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ReplayResult(TypedDict):
    """What a replay did."""

    examined: int
    """Items that were waiting."""
    classified: int
    """Of those, now events in the warehouse (moved from quarantined to stored)."""
    still_quarantined: int
    """Still waiting (their reason says why)."""
    stats: dict[str, Counts]
    """The counts after the replay."""


class TelemetryIntake:
    """The telemetry intake of one data dir: its books, the planes it writes, and how it classifies."""

    def __init__(self, root: Path, *, warehouse: Callable[[], WarehouseProtocol],
                 artifacts: Callable[[], ArtifactStore], semantics: Callable[[], SemanticGraph]) -> None:
        self.root = Path(root)
        """The data dir."""
        self.store = TelemetryStore.in_data_dir(self.root)
        """The books: counts, seen ids, quarantine index."""
        self.classifier = Classifier(semantics)
        """Global ontology ids from the semantics plane."""
        self._warehouse = warehouse
        self._artifacts = artifacts
        self._lock = threading.Lock()
        self._quarantine_owed: bool | None = None
        """Whether quarantine rows wait for their warehouse copy (None: not looked yet; this process is the books'
        single writer, so once looked it knows)."""

    # -- bodies ----------------------------------------------------------------------------------------------------

    def refuse(self, source: Source, project: str, error: TelemetryBodyError) -> TelemetryBodyError:
        """Count a body refused whole (it is in no other count) and return the error to answer with."""
        with self.store.batch() as tx:
            tx.bump(str(source), project, refused=1)
        return error

    def _decoded(self, source: Source, project: str, body: bytes, encoding: str) -> bytes:
        try:
            return decompressed(body, encoding, max_body_bytes())
        except TelemetryBodyError as exc:
            raise self.refuse(source, project, exc) from None

    def posthog(self, body: bytes, *, encoding: str = "") -> IntakeOutcome:
        """A PostHog capture body (any of `/batch/`, `/capture/`, `/e/`, `/i/v0/e/`): its project key picks the
        project. `TelemetryBodyError` (counted as refused) for an undecodable body or a wrong or missing key."""
        with collections_deferred():  # the body's objects are freed when _posthog returns, before collection resumes
            return self._posthog(body, encoding)

    def _posthog(self, body: bytes, encoding: str) -> IntakeOutcome:
        data = self._decoded(Source.POSTHOG, "", body, encoding)
        try:
            parsed = parse_posthog_body(data)
        except TelemetryBodyError as exc:
            raise self.refuse(Source.POSTHOG, "", exc) from None
        if not parsed.api_key:
            raise self.refuse(Source.POSTHOG, "", TelemetryBodyError(
                401, "no project API key in the body: send it as `api_key` (or `token`)"))
        project = project_for_key(parsed.api_key)
        if project is None:
            raise self.refuse(Source.POSTHOG, "", TelemetryBodyError(
                401, f"project API key ...{parsed.api_key[-4:]} is not known to this server ({POSTHOG_KEYS_ENV})"))
        mappings = self.classifier.mappings(project)
        ready, rest = posthog_items(parsed, _now(), self.classifier.posthog_names(project, mappings))
        return self.ingest(Source.POSTHOG, project, rest, ready, mappings=mappings)

    def otlp(self, source: Source, project: str, body: bytes, *, encoding: str = "",
             content_type: str = "") -> tuple[IntakeOutcome, str]:
        """An OTLP/HTTP traces or logs body of `project`; returns the outcome and the media type to answer in."""
        with collections_deferred():  # as in `posthog`
            return self._otlp(source, project, body, encoding, content_type)

    def _otlp(self, source: Source, project: str, body: bytes, encoding: str,
              content_type: str) -> tuple[IntakeOutcome, str]:
        try:
            media = otlp.media_type_of(content_type)
        except TelemetryBodyError as exc:
            raise self.refuse(source, project, exc) from None
        data = self._decoded(source, project, body, encoding)
        try:
            if source is Source.OTEL_TRACES:
                ready, candidates = otlp.trace_items(data, media, self.classifier.span_rules)
            else:
                ready, candidates = ReadyItems(), otlp.log_candidates(data, media)
        except TelemetryBodyError as exc:
            raise self.refuse(source, project, exc) from None
        return self.ingest(source, project, candidates, ready), media

    # -- the core --------------------------------------------------------------------------------------------------

    @staticmethod
    def _append(rows: EventColumns, source: Source, project: str, item: Candidate, verdict: Verdict) -> Verdict | None:
        """Add the item's warehouse row (checked as `Event` checks it); the malformed verdict when it fails."""
        try:
            rows.append(**item.fields, ontology_id=verdict.iri or "", project=project, source=str(source))
        except ValueError as exc:
            return _not_a_row(str(exc))
        return None

    def _quarantine_row(self, source: Source, project: str, item: Candidate, verdict: Verdict,
                        received_at: str) -> dict[str, Any]:
        ref = self._artifacts().put(item.raw(), item.media_type)
        return {"id": stable_id("telemetry_quarantine", source, project, item.key), "source": str(source),
                "project": project, "item_key": item.key, "kind": verdict.kind, "name": item.name,
                "reason": verdict.reason, "received_at": received_at, "raw_ref": ref.uri, "media_type": item.media_type,
                "in_warehouse": 0}

    def _warehouse_quarantine(self, tx: StoreBatch, rows: list[dict[str, Any]]) -> None:
        """The rows' warehouse copies; a failure leaves them marked for the next intake (the answer stays 200:
        the events were stored, and the raw payloads are in the WORM store)."""
        if not rows:
            return
        items = [(r["id"], r["source"], r["reason"], {k: r[k] for k in ("project", "kind", "name", "item_key",
                                                                          "raw_ref", "media_type", "received_at")})
                 for r in rows]
        try:
            self._warehouse().quarantine_batch(items, target="events")
        except Exception as exc:  # noqa: BLE001 - the events are in: never fail the body after that
            _log.warning("telemetry quarantine rows not written to the warehouse yet (retried later): %s", exc)
            self._quarantine_owed = True
            return
        tx.set_in_warehouse(r["id"] for r in rows)

    def _flush_unwritten_quarantine(self) -> None:
        if self._quarantine_owed is False:  # nothing failed since the last look: no query per body
            return
        pending = self.store.not_in_warehouse(limit=_FLUSH_PAGE)
        self._quarantine_owed = len(pending) == _FLUSH_PAGE  # a full page: more may wait behind it
        if pending:  # a failure here marks it owed again (`_warehouse_quarantine`)
            with self.store.batch() as tx:
                self._warehouse_quarantine(tx, [{**r.__dict__} for r in pending])

    def ingest(self, source: Source, project: str, items: list[Candidate], ready: ReadyItems | None = None, *,
               mappings: dict[str, str] | None = None) -> IntakeOutcome:
        """Classify and store the decoded items of one body (`ready` ones first, then `items`); raises (nothing
        acknowledged) when the warehouse refuses."""
        ready = ready if ready is not None else ReadyItems()
        out = IntakeOutcome(source=source, project=project)
        if not items and not ready:
            return out
        mappings = self.classifier.mappings(project) if mappings is None else mappings
        received_at = _iso(_now())
        with self._lock:
            self._flush_unwritten_quarantine()
            with self.store.batch() as tx:
                seen = tx.seen(str(source), project, ready.keys + [i.key for i in items])
                body = sort_body(self.classifier, source, project, items, ready, mappings, seen)
                rows = [self._quarantine_row(source, project, item, verdict, received_at)
                        for item, verdict in body.refused]
                out.reasons = [verdict.reason for _, verdict in body.refused[:_REASONS_KEPT]]
                out.stored, out.quarantined, out.duplicates = len(body.events), len(rows), body.duplicates
                out.received = out.stored + out.quarantined
                tx.mark_seen(str(source), project, body.taken)
                tx.add_quarantine(rows)
                tx.bump(str(source), project, received=out.received, stored=out.stored, quarantined=out.quarantined,
                        duplicates=out.duplicates)
                if len(body.events):
                    self._warehouse().insert_event_columns(body.events)  # raises → rollback: nothing acknowledged
                self._warehouse_quarantine(tx, rows)
        return out

    # -- replay ----------------------------------------------------------------------------------------------------

    def _redecode(self, row: QuarantineRow) -> Candidate:
        try:
            raw = self._artifacts().get(row.raw_ref)
        except EvidenceError as exc:
            return _broken(row, f"its raw payload {row.raw_ref} cannot be read: {exc}")
        source = Source(row.source)
        try:
            if source is Source.POSTHOG:
                items = [posthog_candidate(load_json(raw), datetime.fromisoformat(row.received_at))]
            elif source is Source.OTEL_TRACES:
                items = otlp.trace_candidates(raw, row.media_type)
            else:
                items = otlp.log_candidates(raw, row.media_type)
        except (TelemetryBodyError, ValueError) as exc:
            return _broken(row, f"its raw payload no longer decodes: {exc}")
        if len(items) != 1:
            return _broken(row, f"its raw payload decodes to {len(items)} items, not one")
        return items[0]

    def replay(self, *, project: str | None = None, source: Source | None = None) -> ReplayResult:
        """Reclassify everything waiting in the quarantine (of one project or source, if named)."""
        examined = classified = 0
        after = 0
        with self._lock:
            while True:
                rows, after_next = self.store.quarantine_page(after=after, limit=_REPLAY_PAGE, project=project,
                                                              source=str(source) if source else None)
                if not rows:
                    break
                examined += len(rows)
                classified += self._replay_page(rows)
                if after_next is None:
                    break
                after = after_next
        return ReplayResult(examined=examined, classified=classified, still_quarantined=examined - classified,
                            stats=self.store.stats())

    def _replay_page(self, rows: list[QuarantineRow]) -> int:
        released: list[tuple[str, str, str, str]] = []
        reasons: list[tuple[str, str, str]] = []
        events = EventColumns()
        moved: dict[tuple[str, str], int] = {}
        at = _iso(_now())
        for row in rows:
            source = Source(row.source)
            item = self._redecode(row)
            verdict = self.classifier.classify(source, row.project, item)
            if verdict.iri is not None:
                refused = self._append(events, source, row.project, item, verdict)
                if refused is None:
                    released.append((row.id, at, item.fields["event_id"], verdict.iri))
                    moved[(row.source, row.project)] = moved.get((row.source, row.project), 0) + 1
                    continue
                verdict = refused
            if (verdict.kind, verdict.reason) != (row.kind, row.reason):
                reasons.append((row.id, verdict.kind, verdict.reason))
        with self.store.batch() as tx:
            tx.release(released)
            tx.update_reasons(reasons)
            for (source_name, project), n in moved.items():
                tx.bump(source_name, project, stored=n, quarantined=-n)
            if len(events):
                self._warehouse().insert_event_columns(events)
        return len(released)

    # -- reads -----------------------------------------------------------------------------------------------------

    def raw_payload(self, raw_ref: str) -> tuple[QuarantineRow, bytes] | None:
        """A quarantined item's row and raw bytes (None when `raw_ref` is no quarantined item's)."""
        row = self.store.quarantine_by_ref(raw_ref)
        if row is None:
            return None
        return row, self._artifacts().get(raw_ref)


@dataclass
class SortedBody:
    """What one body's items come to, before anything is written."""

    events: EventColumns
    """The rows to insert."""
    refused: list[tuple[Candidate, Verdict]]
    """The items to quarantine, with why."""
    taken: list[str]
    """The keys it makes seen (stored or quarantined), each once."""
    duplicates: int
    """Items already seen, or twice in the body."""


def sort_body(classifier: Classifier, source: Source, project: str, items: list[Candidate], ready: ReadyItems,
              mappings: dict[str, str], seen: set[str]) -> SortedBody:
    """Dedupe (against `seen` and within the body, ready items first), classify and build the rows of one body."""
    taken: dict[str, None] = dict.fromkeys(ready.keys)  # in body order, each once
    duplicates = 0
    kept: list[int] = list(range(len(ready)))
    if seen or len(taken) != len(ready):  # a retry, or a body repeating itself: item by item
        taken, kept = {}, []
        for index, key in enumerate(ready.keys):
            if key in seen or key in taken:
                duplicates += 1
            else:
                taken[key] = None
                kept.append(index)
    classified: list[tuple[Candidate, Verdict]] = []
    refused: list[tuple[Candidate, Verdict]] = []
    for item in items:
        if item.key in seen or item.key in taken:
            duplicates += 1
            continue
        taken[item.key] = None
        verdict = classifier.classify(source, project, item, mappings)
        (classified if verdict.iri is not None else refused).append((item, verdict))
    events = EventColumns()
    for index, why in events.extend_ready(project, str(source), *ready.columns(kept)):
        refused.append((ready.candidate(kept[index]), _not_a_row(why)))
    for index, why in events.extend(project, str(source), [(i.fields, v.iri or "") for i, v in classified]):
        refused.append((classified[index][0], _not_a_row(why)))
    return SortedBody(events=events, refused=refused, taken=list(taken), duplicates=duplicates)


def _not_a_row(why: str) -> Verdict:
    return Verdict(None, MALFORMED, f"not a valid warehouse event: {why}")


def _broken(row: QuarantineRow, reason: str) -> Candidate:
    return Candidate(key=row.item_key, name=row.name, raw=lambda: b"", media_type=row.media_type, problem=reason)
