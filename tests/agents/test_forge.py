"""forge's proposer for the model's tools (real Proposal Plane): one record per call even when the model calls several
tools at once, a replayed step gets its own records back, and a call withdrawn by an earlier attempt of the step
(blocked, then resumed) is proposed afresh, never handed back as a rejected record."""

from __future__ import annotations

import threading
import uuid

from fractalops.agents.forge import _proposer, _withdraw
from fractalops.identity import Principal
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.proposals.tool_call import tool_call_payload, tool_call_target
from fractalops.runtime import AgentContext, Phase
from fractalops.runtime.resources import squad_resources

ALICE = Principal("alice", frozenset({"operator"}))


def _ctx(thread: str, repo) -> AgentContext:
    return AgentContext(thread_id=thread, agent="forge", requester=ALICE, workspace=str(repo), changes_ref="",
                        phase=Phase.BUILD, run=1, proposal_ids=[], bindings={}, packs=[], resources=squad_resources())


def _call(propose, n: int) -> str:
    return propose(kind="tool_call", target=tool_call_target("memory.mcp"),
                   payload=tool_call_payload("memory.mcp", "create_entities", {"entities": [{"name": f"e{n}"}]}))


def test_calls_made_at_once_each_get_their_own_proposal(data_dir, repo):
    made: list[str] = []
    propose, start = _proposer(_ctx(str(uuid.uuid4()), repo), made), threading.Barrier(4)

    def call(n: int) -> None:
        start.wait()
        _call(propose, n)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = squad_resources().proposals
    assert len(set(made)) == 4
    assert sorted(store.get(pid).payload["arguments"]["entities"][0]["name"] for pid in made) == ["e0", "e1", "e2", "e3"]


def test_a_replay_gets_its_records_back_and_an_attempt_after_a_withdrawal_proposes_afresh(data_dir, repo):
    thread = str(uuid.uuid4())
    first: list[str] = []
    _call(_proposer(_ctx(thread, repo), first), 1)
    replay: list[str] = []
    _call(_proposer(_ctx(thread, repo), replay), 1)
    assert replay == first, "a replayed step proposes nothing twice"

    ctx = _ctx(thread, repo)
    assert _withdraw(ctx, first, "blocked: a secret is missing") == f"; 1 proposed tool call(s) withdrawn unsent ({first[0]})"
    assert [e["kind"] for e in ctx.emitted] == ["proposal_withdrawn"]
    resumed: list[str] = []
    _call(_proposer(_ctx(thread, repo), resumed), 1)
    store = squad_resources().proposals
    assert resumed != first and store.get(resumed[0]).status == ProposalStatus.PROPOSED
    assert store.get(first[0]).status == ProposalStatus.REJECTED
    assert _withdraw(ctx, [], "nothing") == ""
