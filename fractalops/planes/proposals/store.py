"""`ProposalStore`: durable proposal records in SQLite under the data dir, with atomic lifecycle transitions.

Schema v2 (from v1): an `idempotency_key` column, unique within a thread, so a replayed step gets its own earlier
proposal back and no other thread ever can. A v1 file is migrated in place when it is opened: the column and its
index are added, every record is rewritten in the v2 format (its `principal` becomes its `requester`), and v1 forge
ids (`prop_<12 hex>_r<run>_<n>`) get the key forge now passes (`<run>:<n>`), so a step interrupted before the
upgrade still finds its proposal on replay.

Schema v3 (from v2): the `tool_call` kind, the terminal status `outcome_unknown` and the record field `started_at`
(relay's durable marker before an external call). No v2 record changes: opening a v2 file only raises its version,
so that a fractalops that predates them refuses the file instead of misreading a v3 record.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fractalops.errors import ProposalError
from fractalops.planes._sqlite import SQLiteFile
from fractalops.planes.proposals.ids import new_proposal_id
from fractalops.planes.proposals.model import (
    ApprovalClass,
    ApprovalRecord,
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    check_transition,
    content_hash,
)

__all__ = ["ProposalStore", "SCHEMA_VERSION", "WITHDRAWN", "utcnow"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    idempotency_key TEXT
);
CREATE INDEX IF NOT EXISTS proposals_thread ON proposals(thread_id);
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"""
_KEY_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS proposals_thread_key ON proposals(thread_id, idempotency_key)"
SCHEMA_VERSION = 3
"""1: the first format. 2: `idempotency_key` (unique per thread); records carry requester, editors, author ceiling.
3: `tool_call` proposals, status `outcome_unknown`, `started_at` (absent from a record until set)."""
_V1_FORGE_ID = re.compile(r"^prop_[0-9a-f]{12}_r(\d+)_(\d+)$")
_RANK = {c: i for i, c in enumerate(ApprovalClass)}
WITHDRAWN = "withdrawn"
"""How the feedback of a withdrawn proposal starts (`rejected` before anyone reviewed it; see `withdraw`)."""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _migrate_v1(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE proposals ADD COLUMN idempotency_key TEXT")
    for pid, record in db.execute("SELECT id, record FROM proposals").fetchall():
        match = _V1_FORGE_ID.match(pid)
        key = f"{match.group(1)}:{match.group(2)}" if match else None
        upgraded = Proposal.model_validate_json(record).model_copy(update={"idempotency_key": key or ""})
        db.execute("UPDATE proposals SET record = ?, idempotency_key = ? WHERE id = ?",
                   (upgraded.model_dump_json(), key, pid))


class ProposalStore:
    """One SQLite file (`<data dir>/proposals.sqlite`); safe for several threads and processes (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = SQLiteFile(path, synchronous="FULL", schema=_SCHEMA)
        with self._tx() as db:
            row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = row[0] if row and row[0] is not None else None
            if version is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif version > SCHEMA_VERSION:
                raise ProposalError(f"{path} has proposal schema v{version}, newer than this fractalops "
                                    f"(v{SCHEMA_VERSION}); upgrade fractalops to open it")
            elif version < SCHEMA_VERSION:
                if version == 1:
                    _migrate_v1(db)
                db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
            db.execute(_KEY_INDEX)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ProposalStore:
        return cls(data_dir / "proposals.sqlite")

    def _tx(self):  # noqa: ANN202 - a write transaction on this thread's connection
        return self._db.write()

    def create(
        self,
        *,
        thread_id: str,
        author_agent: str,
        requester: str,
        kind: str,
        target: str,
        payload: dict[str, Any],
        title: str = "",
        approval_class: ApprovalClass = ApprovalClass.STANDARD,
        idempotency_key: str | None = None,
        proposal_id: str | None = None,
    ) -> Proposal:
        """Record a new proposal in `proposed`, under a fresh id (`prop_<uuid7 hex>`).

        `idempotency_key` makes a step's replay safe: the same thread with the same key gets its own earlier record
        back (whatever the replay built this time); another thread with that key gets a new proposal. An explicit
        `proposal_id` (imports, tests) that is already taken raises `ProposalError`: an id never names two records.
        """
        if not thread_id:
            raise ProposalError("a proposal needs the thread_id of the LangGraph thread that produced it")
        now = utcnow()
        digest = content_hash(kind, target, payload)
        proposal = Proposal(
            id=proposal_id or new_proposal_id(),
            thread_id=thread_id,
            idempotency_key=idempotency_key or "",
            author_agent=author_agent,
            requester=requester,
            kind=kind,
            target=target,
            title=title,
            payload=payload,
            payload_ref=digest,
            content_hash=digest,
            approval_class=approval_class,
            proposed={"content_hash": digest, "payload": payload, "at": now},
            created_at=now,
            updated_at=now,
        )
        with self._tx() as db:
            if idempotency_key:
                row = db.execute("SELECT record FROM proposals WHERE thread_id = ? AND idempotency_key = ?",
                                 (thread_id, idempotency_key)).fetchone()
                if row:
                    return Proposal.model_validate_json(row[0])
            if db.execute("SELECT 1 FROM proposals WHERE id = ?", (proposal.id,)).fetchone():
                raise ProposalError(f"proposal id {proposal.id!r} is already taken in {self.path}; a proposal id "
                                    "names one record only (omit proposal_id to get a fresh one)")
            db.execute(
                "INSERT INTO proposals (id, thread_id, target, status, record, created_at, updated_at, idempotency_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (proposal.id, thread_id, target, proposal.status, proposal.model_dump_json(), now, now,
                 idempotency_key or None),
            )
        return proposal

    def get(self, proposal_id: str) -> Proposal:
        with self._db.read() as db:
            row = db.execute("SELECT record FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
        if row is None:
            raise ProposalError(f"unknown proposal {proposal_id!r} in {self.path}; list them with `fractalops proposals list`")
        return Proposal.model_validate_json(row[0])

    def list(self, *, thread_id: str | None = None, status: ProposalStatus | None = None,
             updated_since: str | None = None) -> list[Proposal]:
        """Records oldest first; `updated_since` (ISO 8601 UTC) keeps those changed at or after it."""
        query, args = "SELECT record FROM proposals WHERE 1=1", []
        if thread_id:
            query, args = query + " AND thread_id = ?", [*args, thread_id]
        if status:
            query, args = query + " AND status = ?", [*args, str(status)]
        if updated_since:
            query, args = query + " AND updated_at >= ?", [*args, updated_since]
        with self._db.read() as db:
            rows = db.execute(query + " ORDER BY created_at, id", args).fetchall()
        return [Proposal.model_validate_json(r[0]) for r in rows]

    def counts(self, thread_id: str) -> dict[str, int]:
        """Proposals of one thread by status."""
        with self._db.read() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM proposals WHERE thread_id = ? GROUP BY status", (thread_id,))
            return {status: n for status, n in rows.fetchall()}

    def update(
        self,
        proposal_id: str,
        change: Callable[[Proposal], Proposal],
        *,
        to: ProposalStatus | None = None,
        then: ProposalStatus | None = None,
    ) -> Proposal:
        """Atomically read, change and write one record; `to` (and from there `then`, in the same write) is checked
        against the lifecycle first."""
        with self._tx() as db:
            row = db.execute("SELECT record FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
            if row is None:
                raise ProposalError(f"unknown proposal {proposal_id!r} in {self.path}")
            current = Proposal.model_validate_json(row[0])
            if to is not None:
                check_transition(proposal_id, current.status, to)
                if then is not None:
                    check_transition(proposal_id, to, then)
            updated = change(current)
            now = utcnow()
            updated = updated.model_copy(update={"status": then or to or updated.status, "updated_at": now})
            db.execute(
                "UPDATE proposals SET status = ?, record = ?, updated_at = ? WHERE id = ?",
                (updated.status, updated.model_dump_json(), now, proposal_id),
            )
        return updated

    def transition(self, proposal_id: str, to: ProposalStatus, **fields: Any) -> Proposal:
        return self.update(proposal_id, lambda p: p.model_copy(update=fields), to=to)

    def set_approval_class(
        self, proposal_id: str, approval_class: ApprovalClass, *, author_ceiling: str | None = None
    ) -> Proposal:
        """Sentinel's classification, with the author's ceiling it was checked against (kept for edits)."""
        update: dict[str, Any] = {"approval_class": approval_class}
        if author_ceiling is not None:
            update["author_ceiling"] = author_ceiling
        return self.update(proposal_id, lambda p: p.model_copy(update=update))

    def set_evidence(self, proposal_id: str, **refs: str) -> Proposal:
        return self.update(proposal_id, lambda p: p.model_copy(update={"evidence": {**p.evidence, **refs}}))

    def add_decision(
        self,
        proposal_id: str,
        record: ApprovalRecord,
        *,
        to: ProposalStatus | None,
        approved_by: list[str] | None = None,
    ) -> Proposal:
        """Append one decision; `approved_by` (with `to=approved`) records who the constitution counted."""

        def change(p: Proposal) -> Proposal:
            if record.content_hash != p.content_hash:
                raise ProposalError(f"proposal {proposal_id}: a decision on hash {record.content_hash} arrived after "
                                    f"it changed to {p.content_hash}; review it again")
            feedback = record.message if record.decision == "reject" else p.feedback
            update: dict[str, Any] = {"approvals": [*p.approvals, record], "feedback": feedback}
            if approved_by is not None:
                update["approved_by"] = list(approved_by)
            return p.model_copy(update=update)

        return self.update(proposal_id, change, to=to)

    def edit(
        self, proposal_id: str, payload: dict[str, Any], record: ApprovalRecord, *, approval_class: ApprovalClass
    ) -> Proposal:
        """Replace the payload: a new content hash and the re-computed class (never lower), the editor appended to
        `editors`; earlier approvals no longer count, back to review."""

        def change(p: Proposal) -> Proposal:
            if record.content_hash != p.content_hash:
                raise ProposalError(f"proposal {proposal_id}: an edit of hash {record.content_hash} arrived after it "
                                    f"changed to {p.content_hash}; review it again")
            if _RANK[ApprovalClass(approval_class)] < _RANK[p.approval_class]:
                raise ProposalError(f"proposal {proposal_id}: an edit may raise its class {p.approval_class}, never "
                                    f"lower it to {approval_class}")
            digest = content_hash(p.kind, p.target, payload)
            editors = p.editors if record.identity in p.editors else [*p.editors, record.identity]
            return p.model_copy(update={
                "payload": payload, "payload_ref": digest, "content_hash": digest, "approvals": [*p.approvals, record],
                "approval_class": ApprovalClass(approval_class), "editors": editors, "approved_by": [],
            })

        return self.update(proposal_id, change, to=ProposalStatus.IN_REVIEW)

    def rebase(self, proposal_id: str, payload: dict[str, Any] | None, reason: str) -> Proposal:
        """A moved target: mark stale, then back to review with the re-based payload (or rejected if none)."""
        self.update(proposal_id, lambda p: p.model_copy(update={"feedback": reason}), to=ProposalStatus.STALE)
        if payload is None:
            return self.transition(proposal_id, ProposalStatus.REJECTED, feedback=f"{reason}; the patch no longer applies")

        def change(p: Proposal) -> Proposal:
            digest = content_hash(p.kind, p.target, payload)
            return p.model_copy(update={"payload": payload, "payload_ref": digest, "content_hash": digest,
                                        "approved_by": []})

        return self.update(proposal_id, change, to=ProposalStatus.IN_REVIEW)

    def withdraw(self, proposal_id: str, reason: str) -> Proposal:
        """End a proposal no one has reviewed yet (`proposed`), because the run that made it ended before the gate:
        `rejected`, with `withdrawn: <reason>` as its feedback. A proposal already past `proposed` is returned as is
        (a human or relay owns it now)."""

        with self._tx() as db:  # read and write in one transaction: a reviewer's decision cannot slip in between
            row = db.execute("SELECT record FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
            if row is None:
                raise ProposalError(f"unknown proposal {proposal_id!r} in {self.path}")
            current = Proposal.model_validate_json(row[0])
            if current.status != ProposalStatus.PROPOSED:
                return current
            now = utcnow()
            updated = current.model_copy(update={"status": ProposalStatus.REJECTED, "updated_at": now,
                                                 "feedback": f"{WITHDRAWN}: {reason}"[:500]})
            db.execute("UPDATE proposals SET status = ?, record = ?, updated_at = ? WHERE id = ?",
                       (updated.status, updated.model_dump_json(), now, proposal_id))
        return updated

    def mark_started(self, proposal_id: str) -> Proposal:
        """Record, durably (the commit is synced before this returns), that relay is about to execute this published
        proposal; a second start is refused, so whoever sees the marker knows an execution may have happened."""

        def change(p: Proposal) -> Proposal:
            if p.status != ProposalStatus.PUBLISHED:
                raise ProposalError(f"proposal {proposal_id} is {p.status}; only a published proposal is executed")
            if p.started_at:
                raise ProposalError(f"proposal {proposal_id}: relay already started executing it at {p.started_at}; "
                                    "it is never executed twice")
            return p.model_copy(update={"started_at": utcnow()})

        return self.update(proposal_id, change)

    def mark_applied(self, proposal_id: str, execution: ExecutionRecord, *, visible: bool = False) -> Proposal:
        """Record the commit (`applied`); with `visible`, also `visible` in the same write (relay's commit is on the
        target's branch the moment it is recorded)."""
        return self.update(proposal_id, lambda p: p.model_copy(update={"executed": execution}), to=ProposalStatus.APPLIED,
                           then=ProposalStatus.VISIBLE if visible else None)
