"""`Warehouse`: validated writes and reads of events, facts, steward reports, proof facts and Chronicle witnesses.

Reads dedupe with FINAL (tables are ReplacingMergeTree keyed on identity); `query()` runs with the `final=1`
setting so ad-hoc SQL over the row tables never double counts a re-inserted id. Rows that fail validation are
written to `quarantine` with the reason — never dropped. Operator SQL goes through `read_only_query()` only: checked
by `read_only.check_read_only`, then run on its own readonly=1 connection.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError
from clickhouse_connect.driver.insert import InsertContext
from pydantic import BaseModel, ValidationError

from fractalops.errors import WarehouseError
from fractalops.planes.warehouse._engine import ChdbInserts
from fractalops.planes.warehouse.columns import EVENT_COLUMNS, EventColumns
from fractalops.planes.warehouse.migrations import MIGRATIONS, SCHEMA_MIGRATIONS_DDL, TABLES
from fractalops.planes.warehouse.models import ChronicleWitnessRow, Event, Fact, ProofFact, StewardReportRow
from fractalops.planes.warehouse.read_only import ReadScope, check_read_only

__all__ = ["Warehouse", "Backend"]

Backend = Literal["chdb", "server"]

_EVENT_COLUMNS = ("event_id", "ts", "ontology_id", "project", "source", "trace_id", "session_id", "thread_id", "attrs")
_FACT_COLUMNS = ("fact_id", "ts", "kind", "subject", "project", "thread_id", "ontology_id", "attrs")
_PROOF_COLUMNS = ("fact_id", "ts", "thread_id", "proposal_id", "content_hash", "commit", "graph_iri",
                  "chronicle_ref", "attrs")
_WITNESS_COLUMNS = ("witness_id", "ts", "log", "size", "root", "key_id", "timestamp", "signature")
_WITNESS_FIELDS = ("log", "size", "root", "key_id", "timestamp", "signature")
_REPORT_COLUMNS = ("report_id", "ts", "project", "datasets", "schema_fields", "owners", "domain_terms",
                   "lineage_edges", "impact_paths", "triples", "rdf_sha256", "datahub_path", "attrs")
_QUARANTINE_COLUMNS = ("id", "ts", "source", "target", "reason", "payload")


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err.get("loc", ())) or "row"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def _payload_text(payload: Any) -> str:
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    if isinstance(payload, str):
        return payload
    try:
        return json.dumps(payload, sort_keys=True, default=str)
    except (TypeError, ValueError):  # mixed-type keys or a cycle: keep what we can, never drop the row
        return repr(payload)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _columns(items: Sequence[BaseModel], columns: Sequence[str]) -> list[list[Any]]:
    """Column-oriented data; `ts` as epoch milliseconds (DateTime64(3) takes ints, much faster than datetimes)."""
    data = [[getattr(item, c) for item in items] for c in columns]
    if "ts" in columns:
        at = columns.index("ts")
        data[at] = [(ts - _EPOCH) // _MS for ts in data[at]]
    return data


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if isinstance(out.get("ts"), datetime):
        out["ts"] = out["ts"].astimezone(UTC).isoformat()
    if isinstance(out.get("attrs"), str):
        try:
            out["attrs"] = json.loads(out["attrs"])
        except ValueError:
            pass
    return out


class Warehouse:
    """One open warehouse (embedded chdb or a ClickHouse server). Thread-safe; close it when done."""

    def __init__(self, client: Client, reader: Client, *, backend: Backend, location: str, database: str,
                 on_close: Callable[[], None] | None = None,
                 open_operator_client: Callable[[], Client] | None = None,
                 inserts: ChdbInserts | None = None) -> None:
        self._client = client
        self._reader = reader
        self._inserts = inserts
        """The embedded engine's insert path (chdb's streaming insert); None: inserts go through `client`."""
        self._on_close = on_close
        self._open_operator_client = open_operator_client
        self._operator: Client | None = None  # opened on the first read_only_query()
        self._lock = threading.RLock()
        self._closed = False
        # Insert contexts reused per (table, columns, orientation), as clickhouse-connect documents for repeated
        # inserts: each new one costs a DESCRIBE round trip. Dropped when an insert fails or a migration runs.
        self._insert_contexts: dict[tuple[str, tuple[str, ...], bool], InsertContext] = {}
        self.backend: Backend = backend
        """`chdb` (embedded, single writer process) or `server` (ClickHouse over HTTP)."""
        self.location = location
        """The chdb directory or the redacted server URL."""
        self.database = database
        """Database all tables live in."""

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"Warehouse({self.backend}, {self.location!r}, database={self.database!r}, {state})"

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True after `close()`."""
        return self._closed

    def _live(self, *, reader: bool = False) -> Client:
        if self._closed:
            raise WarehouseError(f"{self!r} is closed; open it again with open_warehouse() or get_warehouse()")
        return self._reader if reader else self._client

    def _command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None:
        try:
            self._live().command(sql, parameters=dict(parameters or {}))
        except ClickHouseError as exc:
            raise WarehouseError(f"warehouse command failed in {self.location} ({sql.strip()[:120]}...): {exc}") from exc

    def _insert(self, table: str, columns: Sequence[str], data: list[list[Any]], *,
                column_oriented: bool = False, unique_keys: bool = False) -> None:
        if not data or (column_oriented and not data[0]):
            return
        key = (table, tuple(columns), column_oriented)
        try:
            with self._lock:
                client = self._live()
                context = self._insert_contexts.get(key)
                if context is None:
                    context = client.create_insert_context(table, list(columns), column_oriented=column_oriented)
                    self._insert_contexts[key] = context
                try:
                    if self._inserts is not None:
                        self._inserts.insert(self.database, table, context, data, unique_keys=unique_keys)
                    else:
                        client.insert(data=data, context=context)
                except BaseException:
                    self._insert_contexts.pop(key, None)
                    raise
        except (ClickHouseError, RuntimeError) as exc:  # RuntimeError: what chdb's streaming insert refuses
            raise WarehouseError(
                f"insert into {self.database}.{table} failed in {self.location}: {exc}; "
                f"run `fractalops warehouse migrate` if the table is missing"
            ) from exc

    # schema

    def migrate(self) -> list[int]:
        """Apply pending migrations in order; returns the versions applied now (empty when up to date)."""
        with self._lock:
            self._command(SCHEMA_MIGRATIONS_DDL)
            applied = {int(r["version"]): r["checksum"] for r in
                       self.query("SELECT version, checksum FROM schema_migrations")}
            known = {m.version for m in MIGRATIONS}
            newer = sorted(v for v in applied if v not in known)
            if newer:
                raise WarehouseError(
                    f"warehouse {self.location} ({self.database}) has schema versions {newer} this code does not "
                    f"know; upgrade fractalops before writing to it"
                )
            done: list[int] = []
            for migration in MIGRATIONS:
                if migration.version in applied:
                    if applied[migration.version] != migration.checksum:
                        raise WarehouseError(
                            f"schema migration {migration.version} ({migration.name}) was edited after it was "
                            f"applied to {self.location}; add a new migration instead of changing an applied one"
                        )
                    continue
                for statement in migration.statements:
                    self._command(statement)
                self._insert_contexts.clear()  # a migration may change a table a cached context describes
                self._insert("schema_migrations", ("version", "name", "checksum"),
                             [[migration.version, migration.name, migration.checksum]])
                done.append(migration.version)
            return done

    def schema_version(self) -> int:
        """Highest applied migration version, 0 when never migrated."""
        if "schema_migrations" not in self._existing_tables():
            return 0
        rows = self.query("SELECT max(version) AS v FROM schema_migrations")
        return int(rows[0]["v"]) if rows else 0

    def _existing_tables(self) -> set[str]:
        rows = self.query("SELECT name FROM system.tables WHERE database = currentDatabase()")
        return {r["name"] for r in rows}

    def table_counts(self) -> dict[str, int | None]:
        """Deduplicated row count per warehouse table; None for a table that does not exist yet."""
        existing = self._existing_tables()
        counts: dict[str, int | None] = {}
        for table in ("schema_migrations", *TABLES):
            counts[table] = int(self.query(f"SELECT count() AS n FROM {table}")[0]["n"]) if table in existing else None
        return counts

    # writes

    def _validate(self, model: type[BaseModel], rows: Iterable[Any], target: str,
                  key: Callable[[Any], tuple[str, ...]]) -> list[Any]:
        good: dict[tuple[str, ...], Any] = {}
        bad: list[list[Any]] = []
        now = datetime.now(UTC)
        for row in rows:
            try:
                if not isinstance(row, Mapping):
                    raise TypeError(f"row must be a mapping, got {type(row).__name__}")
                item = model.model_validate(row)
            except ValidationError as exc:
                bad.append(self._quarantine_row(row, target, f"{target}: {_reason(exc)}", now))
                continue
            except (TypeError, ValueError) as exc:
                bad.append(self._quarantine_row(row, target, f"{target}: {exc}", now))
                continue
            good[key(item)] = item  # same identity twice in one batch: the last one wins
        self._insert("quarantine", _QUARANTINE_COLUMNS, bad)
        return list(good.values())

    @staticmethod
    def _quarantine_row(row: Any, target: str, reason: str, now: datetime) -> list[Any]:
        source = row.get("source") if isinstance(row, Mapping) else None
        source = source if isinstance(source, str) and source else "unknown"
        return [str(uuid.uuid4()), now, source, target, reason, _payload_text(row)]

    def insert_events(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Validate and insert events; returns how many were inserted. Invalid rows go to `quarantine`."""
        events: list[Event] = self._validate(Event, rows, "events", lambda e: (e.project, e.event_id))
        self._insert("events", _EVENT_COLUMNS, _columns(events, _EVENT_COLUMNS), column_oriented=True)
        return len(events)

    def insert_event_columns(self, batch: EventColumns) -> int:
        """Insert events already checked row by row as they were appended (`EventColumns`), in one insert; returns
        how many."""
        self._insert("events", EVENT_COLUMNS, batch.data, column_oriented=True, unique_keys=True)
        return len(batch)

    def insert_facts(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Validate and insert facts; returns how many were inserted. Invalid rows go to `quarantine`."""
        facts: list[Fact] = self._validate(Fact, rows, "facts", lambda f: (f.project, f.kind, f.fact_id))
        self._insert("facts", _FACT_COLUMNS, _columns(facts, _FACT_COLUMNS), column_oriented=True)
        return len(facts)

    def record_proof_fact(self, *, thread_id: str, proposal_id: str, content_hash: str, commit: str,
                          graph_iri: str, chronicle_ref: str, attrs: Mapping[str, Any] | None = None) -> str:
        """Record the warehouse part of a proof path; returns the deterministic fact_id (same inputs → same id)."""
        try:
            fact = ProofFact(thread_id=thread_id, proposal_id=proposal_id, content_hash=content_hash, commit=commit,
                             graph_iri=graph_iri, chronicle_ref=chronicle_ref, attrs=dict(attrs or {}))
        except ValidationError as exc:
            raise WarehouseError(f"proof fact for thread {thread_id!r} rejected: {_reason(exc)}") from None
        self._insert("proof_facts", _PROOF_COLUMNS, [[getattr(fact, c) for c in _PROOF_COLUMNS]])
        return fact.fact_id

    def record_chronicle_witness(self, *, log: str, size: int, root: str, key_id: str, timestamp: int,
                                 signature: str) -> str:
        """Witness one signed Chronicle checkpoint; returns the deterministic witness_id (same checkpoint → same id)."""
        try:
            row = ChronicleWitnessRow(log=log, size=size, root=root, key_id=key_id, timestamp=timestamp,
                                      signature=signature)
        except ValidationError as exc:
            raise WarehouseError(f"Chronicle witness of log {log!r} size {size!r} rejected: {_reason(exc)}") from None
        self._insert("chronicle_witnesses", _WITNESS_COLUMNS, [[getattr(row, c) for c in _WITNESS_COLUMNS]])
        return row.witness_id

    def chronicle_witnesses(self, log: str | None = None) -> list[dict[str, Any]]:
        """Witnessed checkpoints (of `log`, or of all logs), smallest size first, as dicts of the checkpoint fields."""
        where = " WHERE log = {log:String}" if log is not None else ""
        rows = self.query(f"SELECT {', '.join(_WITNESS_FIELDS)} FROM chronicle_witnesses{where} "
                          f"ORDER BY size, timestamp", {"log": log} if log is not None else None)
        return [{**r, "size": int(r["size"]), "timestamp": int(r["timestamp"])} for r in rows]

    def newest_chronicle_witness(self, log: str, key_id: str) -> int | None:
        """The largest size witnessed for `log` signed by `key_id`, or None."""
        rows = self.query("SELECT max(size) AS n, count() AS c FROM chronicle_witnesses "
                          "WHERE log = {log:String} AND key_id = {key_id:String}", {"log": log, "key_id": key_id})
        return int(rows[0]["n"]) if rows and int(rows[0]["c"]) else None

    def record_steward_report(self, report: Mapping[str, Any]) -> str:
        """Record one steward report summary; returns its report_id. An invalid report is quarantined and raised."""
        try:
            row = StewardReportRow.model_validate(dict(report))
        except ValidationError as exc:
            reason = f"steward_reports: {_reason(exc)}"
            qid = self.quarantine("steward", reason, dict(report), target="steward_reports")
            raise WarehouseError(f"steward report rejected ({reason}); quarantined as {qid}") from None
        self._insert("steward_reports", _REPORT_COLUMNS, [[getattr(row, c) for c in _REPORT_COLUMNS]])
        return row.report_id

    def quarantine(self, source: str, reason: str, payload: Any, *, target: str = "") -> str:
        """Keep a rejected input with its reason; returns the quarantine id."""
        qid = str(uuid.uuid4())
        self._insert("quarantine", _QUARANTINE_COLUMNS,
                     [[qid, datetime.now(UTC), source or "unknown", target, reason, _payload_text(payload)]])
        return qid

    def quarantine_batch(self, items: Sequence[tuple[str, str, str, Any]], *, target: str = "") -> int:
        """Keep many rejected inputs in one insert: (id, source, reason, payload) each; the caller picks the ids
        (deterministic ids let a reader tell a re-inserted row from a new one). Returns how many."""
        now = datetime.now(UTC)
        self._insert("quarantine", _QUARANTINE_COLUMNS,
                     [[qid, now, source or "unknown", target, reason, _payload_text(payload)]
                      for qid, source, reason, payload in items])
        return len(items)

    def delete_proof_fact(self, fact_id: str) -> bool:
        """Remove a proof fact (tests that break a proof path use this); True if it existed."""
        with self._lock:
            existed = self.get_proof_fact(fact_id) is not None
            self._command("DELETE FROM proof_facts WHERE fact_id = {fact_id:String}", {"fact_id": fact_id})
        return existed

    # reads

    def get_proof_fact(self, fact_id: str) -> dict[str, Any] | None:
        """One proof fact as plain JSON (`ts` ISO 8601 UTC, `attrs` dict), or None."""
        rows = self.query(f"SELECT {', '.join(_PROOF_COLUMNS)} FROM proof_facts WHERE fact_id = {{fact_id:String}} "
                          f"LIMIT 1", {"fact_id": fact_id})
        return _plain(rows[0]) if rows else None

    def proof_facts_for_thread(self, thread_id: str) -> list[dict[str, Any]]:
        """A thread's proof facts, oldest first, as plain JSON dicts."""
        rows = self.query(f"SELECT {', '.join(_PROOF_COLUMNS)} FROM proof_facts WHERE thread_id = {{thread_id:String}} "
                          f"ORDER BY ts, fact_id", {"thread_id": thread_id})
        return [_plain(r) for r in rows]

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run the plane's own read-only SQL (`{name:Type}` parameters); rows as dicts, deduplicated with FINAL.

        Runs on a read-only (`readonly=2`) connection: INSERT, DDL and DELETE are refused with a WarehouseError.
        Not for SQL from outside the code (operators, HTTP): that goes through `read_only_query()`.
        """
        with self._lock:
            return self._select(self._live(reader=True), sql, parameters, {"final": 1})

    def read_scope(self) -> ReadScope:
        """What `read_only_query()` lets an operator read: this warehouse's tables, minus the engine's UDFs."""
        udfs = self.query("SELECT name FROM system.functions WHERE origin != 'System'")
        return ReadScope.of_warehouse(self.database, denied_functions=(r["name"] for r in udfs))

    def read_only_query(self, sql: str) -> list[dict[str, Any]]:
        """Run operator SQL: one SELECT over the warehouse tables, rows as dicts, deduplicated with FINAL.

        Checked first (`read_only.check_read_only`): anything else raises `QueryRefusedError` naming the construct,
        and nothing runs. What runs is the checked SQL, on a connection of its own with ClickHouse's `readonly=1`
        (no writes, no setting changes, no file/url/remote table functions) as a second line of defence.
        """
        checked = check_read_only(sql, self.read_scope())
        with self._lock:
            return self._select(self._operator_client(), checked, None, None)

    def _operator_client(self) -> Client:
        self._live()  # a closed handle raises
        if self._operator is None:
            if self._open_operator_client is None:
                raise WarehouseError(f"{self!r} was opened without an operator connection; open it with "
                                     f"open_warehouse() or get_warehouse()")
            self._operator = self._open_operator_client()
        return self._operator

    def _select(self, client: Client, sql: str, parameters: Mapping[str, Any] | None,
                settings: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        try:
            result = client.query(sql, parameters=dict(parameters or {}), settings=dict(settings or {}))
            return list(result.named_results())
        except ClickHouseError as exc:
            shown = " ".join(sql.split())[:200]
            raise WarehouseError(
                f"warehouse query failed in {self.location} ({self.database}): {exc} -- query: {shown}"
            ) from exc

    def close(self) -> None:
        """Close the clients and release the single-writer lock (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            errors: list[BaseException] = []
            for client in (self._operator, self._reader, self._client, self._inserts):
                try:
                    if client is not None:
                        client.close()
                except BaseException as exc:  # close the rest, then raise the first
                    errors.append(exc)
            if self._on_close is not None:
                self._on_close()
            if errors:
                raise errors[0]
