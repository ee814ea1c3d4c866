"""`ProposalStore`: durable proposal records in SQLite under the data dir, with atomic lifecycle transitions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fractalops.errors import ProposalError
from fractalops.planes._sqlite import SQLiteFile
from fractalops.planes.proposals.model import (
    ApprovalClass,
    ApprovalRecord,
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    check_transition,
    content_hash,
)

__all__ = ["ProposalStore", "utcnow"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS proposals_thread ON proposals(thread_id);
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"""
SCHEMA_VERSION = 1


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ProposalStore:
    """One SQLite file (`<data dir>/proposals.sqlite`); safe for several threads and processes (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = SQLiteFile(path, synchronous="FULL", schema=_SCHEMA)
        with self._tx() as db:
            if db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

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
        principal: str,
        kind: str,
        target: str,
        payload: dict[str, Any],
        title: str = "",
        approval_class: ApprovalClass = ApprovalClass.STANDARD,
        proposal_id: str | None = None,
    ) -> Proposal:
        """Record a new proposal in `proposed`; the same `proposal_id` twice returns the existing record."""
        now = utcnow()
        digest = content_hash(kind, target, payload)
        proposal = Proposal(
            id=proposal_id or f"prop_{uuid.uuid4().hex[:16]}",
            thread_id=thread_id,
            author_agent=author_agent,
            principal=principal,
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
            row = db.execute("SELECT record FROM proposals WHERE id = ?", (proposal.id,)).fetchone()
            if row:
                return Proposal.model_validate_json(row[0])
            db.execute(
                "INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?, ?)",
                (proposal.id, thread_id, target, proposal.status, proposal.model_dump_json(), now, now),
            )
        return proposal

    def get(self, proposal_id: str) -> Proposal:
        with self._db.read() as db:
            row = db.execute("SELECT record FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
        if row is None:
            raise ProposalError(f"unknown proposal {proposal_id!r} in {self.path}; list them with `fractalops proposals list`")
        return Proposal.model_validate_json(row[0])

    def list(self, *, thread_id: str | None = None, status: ProposalStatus | None = None) -> list[Proposal]:
        query, args = "SELECT record FROM proposals WHERE 1=1", []
        if thread_id:
            query, args = query + " AND thread_id = ?", [*args, thread_id]
        if status:
            query, args = query + " AND status = ?", [*args, str(status)]
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
    ) -> Proposal:
        """Atomically read, change and write one record; `to` is checked against the lifecycle first."""
        with self._tx() as db:
            row = db.execute("SELECT record FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
            if row is None:
                raise ProposalError(f"unknown proposal {proposal_id!r} in {self.path}")
            current = Proposal.model_validate_json(row[0])
            if to is not None:
                check_transition(proposal_id, current.status, to)
            updated = change(current)
            now = utcnow()
            updated = updated.model_copy(update={"status": to or updated.status, "updated_at": now})
            db.execute(
                "UPDATE proposals SET status = ?, record = ?, updated_at = ? WHERE id = ?",
                (updated.status, updated.model_dump_json(), now, proposal_id),
            )
        return updated

    def transition(self, proposal_id: str, to: ProposalStatus, **fields: Any) -> Proposal:
        return self.update(proposal_id, lambda p: p.model_copy(update=fields), to=to)

    def set_approval_class(self, proposal_id: str, approval_class: ApprovalClass) -> Proposal:
        return self.update(proposal_id, lambda p: p.model_copy(update={"approval_class": approval_class}))

    def set_evidence(self, proposal_id: str, **refs: str) -> Proposal:
        return self.update(proposal_id, lambda p: p.model_copy(update={"evidence": {**p.evidence, **refs}}))

    def add_decision(self, proposal_id: str, record: ApprovalRecord, *, to: ProposalStatus | None) -> Proposal:
        def change(p: Proposal) -> Proposal:
            feedback = record.message if record.decision == "reject" else p.feedback
            return p.model_copy(update={"approvals": [*p.approvals, record], "feedback": feedback})

        return self.update(proposal_id, change, to=to)

    def edit(self, proposal_id: str, payload: dict[str, Any], record: ApprovalRecord) -> Proposal:
        """Replace the payload: a new content hash, earlier approvals no longer count, back to review."""

        def change(p: Proposal) -> Proposal:
            digest = content_hash(p.kind, p.target, payload)
            return p.model_copy(
                update={"payload": payload, "payload_ref": digest, "content_hash": digest, "approvals": [*p.approvals, record]}
            )

        return self.update(proposal_id, change, to=ProposalStatus.IN_REVIEW)

    def rebase(self, proposal_id: str, payload: dict[str, Any] | None, reason: str) -> Proposal:
        """A moved target: mark stale, then back to review with the re-based payload (or rejected if none)."""
        self.update(proposal_id, lambda p: p.model_copy(update={"feedback": reason}), to=ProposalStatus.STALE)
        if payload is None:
            return self.transition(proposal_id, ProposalStatus.REJECTED, feedback=f"{reason}; the patch no longer applies")

        def change(p: Proposal) -> Proposal:
            digest = content_hash(p.kind, p.target, payload)
            return p.model_copy(update={"payload": payload, "payload_ref": digest, "content_hash": digest})

        return self.update(proposal_id, change, to=ProposalStatus.IN_REVIEW)

    def mark_applied(self, proposal_id: str, execution: ExecutionRecord) -> Proposal:
        return self.update(proposal_id, lambda p: p.model_copy(update={"executed": execution}), to=ProposalStatus.APPLIED)
