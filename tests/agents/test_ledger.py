"""ledger: a Chronicle checkpoint that a store outside the log failed to witness keeps the proof open, naming it.

Real squad in-process (real git, SQLite, chdb); the witness write failure is injected into one store at a time.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from fractalops.agents import ledger
from fractalops.errors import WarehouseError
from fractalops.graphs.squad import build_squad
from fractalops.planes.proposals import ChronicleWitnessStore, ProposalStatus, open_witness_store
from fractalops.planes.warehouse import Warehouse, close_warehouse, get_warehouse
from fractalops.runtime.resources import squad_resources
from fractalops.runtime.step import current_hud, make_context
from fractalops.server.evidence_routes import verify_data_dir

ALICE = {"identity": "alice", "roles": ["operator", "approver"]}


def _config(thread: str) -> dict:
    return {"configurable": {"thread_id": thread, "langgraph_auth_user": ALICE, "bindings": {"forge": "native"}}}


@pytest.fixture(autouse=True)
def _own_warehouse():
    close_warehouse()
    yield
    close_warehouse()


def _apply(squad, repo: Path, thread: str) -> str:
    payload = {"intent": "add a changelog", "workspace": str(repo),
               "changes": [{"path": "src/app.py", "content": "print(\"hello\")\n"}]}
    request = squad.invoke(payload, _config(thread))["__interrupt__"][0].value
    squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))
    return request["action_requests"][0]["args"]["proposal_id"]


def _fail_warehouse(self, **_: object) -> str:
    raise WarehouseError("injected: the warehouse refused the insert")


def _fail_sqlite(self, **_: object) -> None:
    raise sqlite3.OperationalError("injected: database or disk is full")


@pytest.mark.parametrize(("owner", "method", "failure", "store"), [
    (Warehouse, "record_chronicle_witness", _fail_warehouse, "the warehouse"),
    (ChronicleWitnessStore, "record", _fail_sqlite, "the proposal store"),
], ids=["warehouse", "proposal-store"])
def test_an_unwitnessed_checkpoint_keeps_the_proof_open_until_a_retry_witnesses_it(
    data_dir: Path, repo: Path, monkeypatch: pytest.MonkeyPatch, owner: type, method: str, failure, store: str
) -> None:
    squad = build_squad().compile(checkpointer=InMemorySaver())
    thread = str(uuid.uuid4())
    with monkeypatch.context() as patch:
        patch.setattr(owner, method, failure)
        pid = _apply(squad, repo, thread)
    resources = squad_resources()
    proposal = resources.proposals.get(pid)
    assert proposal.status == ProposalStatus.VISIBLE, "not evidenced while its checkpoint is unwitnessed"
    assert proposal.evidence["chronicle"].startswith("chronicle://main/0#")
    summary = squad.get_state(_config(thread)).values["summary"]
    assert "chronicle" not in summary["proof"] and {"graph", "warehouse"} <= set(summary["proof"])
    assert summary["outcome"].endswith("proof still open, missing chronicle")
    failures = [e for e in resources.outbox.events(thread_id=thread) if e["kind"] == "witness_failed"]
    assert len(failures) == 1 and f"was not witnessed in {store}" in failures[0]["text"]
    assert "injected" in failures[0]["text"]

    # The next ledger step on the thread signs again and witnesses in both stores; it appends nothing.
    state = squad.get_state(_config(thread)).values
    result = ledger.run(current_hud(state), make_context(state, _config(thread), "ledger"))
    assert set(result.summary["proof"]) == {"graph", "warehouse", "chronicle"}
    assert resources.proposals.get(pid).status == ProposalStatus.EVIDENCED
    assert resources.chronicle().size == 1
    assert {w["size"] for w in open_witness_store(data_dir).list("main")} == {1}
    assert {w["size"] for w in get_warehouse().chronicle_witnesses("main")} == {1}
    document = verify_data_dir(data_dir, proposals=resources.proposals, witnesses=open_witness_store(data_dir),
                               warehouse=get_warehouse())
    assert document["ok"] is True, document["reason"]


def test_a_proven_change_is_witnessed_once_per_checkpoint(data_dir: Path, repo: Path) -> None:
    squad = build_squad().compile(checkpointer=InMemorySaver())
    thread = str(uuid.uuid4())
    pid = _apply(squad, repo, thread)
    resources = squad_resources()
    assert resources.proposals.get(pid).status == ProposalStatus.EVIDENCED
    checkpoint = resources.chronicle().latest_checkpoint()
    (sqlite_row,) = open_witness_store(data_dir).list("main")
    (warehouse_row,) = get_warehouse().chronicle_witnesses("main")
    assert sqlite_row == warehouse_row
    assert (sqlite_row["size"], sqlite_row["root"], sqlite_row["timestamp"], sqlite_row["signature"]) == (
        checkpoint.size, checkpoint.root, checkpoint.timestamp, checkpoint.signature)
    state = squad.get_state(_config(thread)).values
    ledger.run(current_hud(state), make_context(state, _config(thread), "ledger"))
    assert len(open_witness_store(data_dir).list("main")) == 1, "an evidenced proposal is not signed again"
