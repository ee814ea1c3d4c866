"""`WarehouseProtocol`: what callers (ledger, steward, telemetry intake, ouroboros) may rely on.

`Warehouse` (chdb or ClickHouse server) implements it; type dependencies against this, not the class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from fractalops.planes.warehouse.columns import EventColumns

__all__ = ["WarehouseProtocol"]


@runtime_checkable
class WarehouseProtocol(Protocol):
    """The warehouse plane's contract: validated writes (bad rows quarantined), deduplicated reads."""

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; returns the versions applied now."""
        ...

    def insert_events(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert valid events, quarantine the rest; returns how many were inserted."""
        ...

    def insert_event_columns(self, batch: EventColumns) -> int:
        """Insert events checked as they were appended to `batch`, in one insert; returns how many."""
        ...

    def insert_facts(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert valid facts, quarantine the rest; returns how many were inserted."""
        ...

    def record_proof_fact(self, *, thread_id: str, proposal_id: str, content_hash: str, commit: str,
                          graph_iri: str, chronicle_ref: str, attrs: Mapping[str, Any] | None = None) -> str:
        """Record a proof path's warehouse fact; returns its deterministic fact_id."""
        ...

    def record_chronicle_witness(self, *, log: str, size: int, root: str, key_id: str, timestamp: int,
                                 signature: str) -> str:
        """Witness a signed Chronicle checkpoint outside the log; returns its deterministic witness_id."""
        ...

    def chronicle_witnesses(self, log: str | None = None) -> list[dict[str, Any]]:
        """Witnessed checkpoints, smallest size first, as dicts of the checkpoint fields."""
        ...

    def newest_chronicle_witness(self, log: str, key_id: str) -> int | None:
        """The largest size witnessed for `log` signed by `key_id`, or None."""
        ...

    def get_proof_fact(self, fact_id: str) -> dict[str, Any] | None:
        """One proof fact as plain JSON, or None."""
        ...

    def proof_facts_for_thread(self, thread_id: str) -> list[dict[str, Any]]:
        """A thread's proof facts, oldest first."""
        ...

    def delete_proof_fact(self, fact_id: str) -> bool:
        """Remove a proof fact; True if it existed."""
        ...

    def record_steward_report(self, report: Mapping[str, Any]) -> str:
        """Record a steward report summary; returns its report_id."""
        ...

    def quarantine(self, source: str, reason: str, payload: Any, *, target: str = "") -> str:
        """Keep a rejected input with its reason; returns the quarantine id."""
        ...

    def quarantine_batch(self, items: Sequence[tuple[str, str, str, Any]], *, target: str = "") -> int:
        """Keep many rejected inputs in one insert, (id, source, reason, payload) each; returns how many."""
        ...

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Read-only SQL, deduplicated with FINAL; rows as dicts."""
        ...

    def read_only_query(self, sql: str) -> list[dict[str, Any]]:
        """Operator SQL: one SELECT over the warehouse tables, or `QueryRefusedError` naming what was refused."""
        ...

    def close(self) -> None:
        """Release the connection (and the embedded path's single-writer lock)."""
        ...
