"""Versioned warehouse schema: an ordered migration list recorded in `schema_migrations`.

Rules: versions are strictly increasing; an applied migration is never edited (its checksum is recorded and a
mismatch is an error); a schema change is a new migration appended to `MIGRATIONS`.

Row tables are ReplacingMergeTree keyed on their identity (the ORDER BY), so re-inserting the same id does not
double count once read with FINAL (`Warehouse.query` sets `final=1`, so plain SQL through it dedupes too).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["Migration", "MIGRATIONS", "SCHEMA_MIGRATIONS_DDL", "TABLES"]


@dataclass(frozen=True)
class Migration:
    """One schema step."""

    version: int
    """Strictly increasing, starting at 1."""
    name: str
    """Short description recorded in `schema_migrations`."""
    statements: tuple[str, ...]
    """DDL statements, each idempotent on its own (IF NOT EXISTS), run in order."""

    @property
    def checksum(self) -> str:
        """sha256 of the statements: detects an applied migration that was edited afterwards."""
        return hashlib.sha256("\n;\n".join(self.statements).encode()).hexdigest()


SCHEMA_MIGRATIONS_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version
"""

_V1 = (
    """
CREATE TABLE IF NOT EXISTS events (
    event_id String,
    ts DateTime64(3, 'UTC'),
    ontology_id LowCardinality(String),
    project LowCardinality(String),
    source LowCardinality(String),
    trace_id String,
    session_id String,
    thread_id String,
    attrs String,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(inserted_at) ORDER BY (project, event_id)
""",
    """
CREATE TABLE IF NOT EXISTS facts (
    fact_id String,
    ts DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    subject String,
    project LowCardinality(String),
    thread_id String,
    ontology_id LowCardinality(String),
    attrs String,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(inserted_at) ORDER BY (project, kind, fact_id)
""",
    """
CREATE TABLE IF NOT EXISTS steward_reports (
    report_id String,
    ts DateTime64(3, 'UTC'),
    project LowCardinality(String),
    datasets UInt32,
    schema_fields UInt32,
    owners UInt32,
    domain_terms UInt32,
    lineage_edges UInt32,
    impact_paths UInt32,
    triples UInt64,
    rdf_sha256 String,
    datahub_path String,
    attrs String,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(inserted_at) ORDER BY (project, report_id)
""",
    """
CREATE TABLE IF NOT EXISTS proof_facts (
    fact_id String,
    ts DateTime64(3, 'UTC'),
    thread_id String,
    proposal_id String,
    content_hash String,
    commit String,
    graph_iri String,
    chronicle_ref String,
    attrs String,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(inserted_at) ORDER BY (thread_id, fact_id)
""",
    """
CREATE TABLE IF NOT EXISTS quarantine (
    id String,
    ts DateTime64(3, 'UTC'),
    source LowCardinality(String),
    target LowCardinality(String),
    reason String,
    payload String
) ENGINE = MergeTree ORDER BY (source, ts, id)
""",
)

_V2 = (
    "ALTER TABLE events ADD INDEX IF NOT EXISTS events_ts_minmax ts TYPE minmax GRANULARITY 1",
    "ALTER TABLE events ADD INDEX IF NOT EXISTS events_thread_bf thread_id TYPE bloom_filter GRANULARITY 4",
    "ALTER TABLE proof_facts ADD INDEX IF NOT EXISTS proof_facts_id_bf fact_id TYPE bloom_filter GRANULARITY 4",
)

_V3 = (
    """
CREATE TABLE IF NOT EXISTS chronicle_witnesses (
    witness_id String,
    ts DateTime64(3, 'UTC'),
    log LowCardinality(String),
    size UInt64,
    root String,
    key_id String,
    timestamp UInt64,
    signature String,
    inserted_at DateTime64(6, 'UTC') DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(inserted_at) ORDER BY (log, key_id, size, witness_id)
""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create events, facts, steward_reports, proof_facts, quarantine", _V1),
    Migration(2, "skip indexes: events.ts minmax, events.thread_id and proof_facts.fact_id bloom filters", _V2),
    Migration(3, "create chronicle_witnesses (each signed Chronicle checkpoint, witnessed outside the log)", _V3),
)
"""The ordered schema history; append only."""

TABLES: tuple[str, ...] = ("events", "facts", "steward_reports", "proof_facts", "quarantine", "chronicle_witnesses")
"""Row tables the warehouse owns (besides `schema_migrations`)."""
