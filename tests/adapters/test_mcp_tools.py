"""The toolbelt inside a real LangChain agent loop (`create_agent`, a scripted tool-calling model) against real MCP
servers: read tools run at once, mutate calls become `tool_call` proposals and never reach the server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from fractalops.adapters.mcp_tools import McpToolbelt, mcp_tool_provider
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import ConfigError
from fractalops.planes.proposals import ProposalStore
from fractalops.planes.proposals.tool_call import ToolCallProposer
from tests.adapters.mcp_servers.servers import (
    MEMORY_READ_TOOLS,
    arun_script,
    asset,
    http_sdk_server,
    memory_entry,
    notes,
    run_script,
    sdk_entry,
    text_of,
)

SEEDED = [{"type": "entity", "name": "release-41", "entityType": "release", "observations": ["shipped on time"]}]
NEW = {"entities": [{"name": "release-42", "entityType": "release", "observations": ["shipped"]}]}


@pytest.fixture
def memory_file(tmp_path: Path) -> Path:
    path = tmp_path / "memory.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in SEEDED))
    return path


@pytest.fixture
def store(tmp_path: Path) -> ProposalStore:
    return ProposalStore(tmp_path / "proposals.sqlite")


class _Events(list):
    def __call__(self, kind: str, text: str, **data) -> None:
        self.append({"kind": kind, "text": text, **data})


def _belt(store: ProposalStore, events: _Events, **kwargs) -> tuple[McpToolbelt, ToolCallProposer]:
    proposer = ToolCallProposer(store=store, thread_id="t1", author_agent="forge", requester="alice")
    return McpToolbelt(emit=events, propose=proposer, **kwargs), proposer


def test_memory_read_tools_run_in_the_loop_and_create_entities_becomes_a_proposal(memory_file, store):
    before = memory_file.read_bytes()
    events = _Events()
    belt, proposer = _belt(store, events)
    with belt:
        tools = belt.add(asset(memory_entry(memory_file)))
        assert {t.name for t in tools} >= {*MEMORY_READ_TOOLS, "create_entities"}
        messages = run_script(tools, [
            [("read_graph", {}), ("search_nodes", {"query": "release-41"})],
            [("create_entities", NEW)],
        ])
    graph, found, proposed = messages
    assert "release-41" in text_of(graph) and "shipped on time" in text_of(found)
    (pid,) = proposer.proposed
    assert text_of(proposed) == f"proposed {pid}: waits for approval" and belt.proposed == [pid]
    p = store.get(pid)
    assert (p.kind, p.status, p.payload) == ("tool_call", "proposed",
                                             {"asset_id": "memory.mcp", "tool": "create_entities", "arguments": NEW})
    assert memory_file.read_bytes() == before, "the server never saw the mutate call"
    kinds = [(e["kind"], e["tool"]) for e in events]
    # the two reads of one turn run concurrently (LangChain's tool node), so their events come in either order
    assert sorted(kinds[:2]) == [("mcp_tool_call", "read_graph"), ("mcp_tool_call", "search_nodes")]
    assert kinds[2:] == [("mcp_tool_proposed", "create_entities")]
    search = next(e for e in events if e["tool"] == "search_nodes")
    assert search["arguments"] == {"query": "release-41"} and events[2]["proposal_id"] == pid
    with McpToolbelt(emit=events) as reader:  # a call with large arguments is recorded by its size, not its bytes
        run_script(reader.add(asset(memory_entry(memory_file))), [[("search_nodes", {"query": "x" * 3000})]])
    assert events[-1]["arguments"] == {"omitted": "3013 bytes of JSON arguments"}


def test_the_async_loop_gets_the_same_tools(memory_file, store):
    before = memory_file.read_bytes()
    belt, proposer = _belt(store, _Events())
    with belt:
        tools = belt.add(asset(memory_entry(memory_file)))
        graph, proposed = asyncio.run(arun_script(tools, [[("read_graph", {}), ("create_entities", NEW)]]))
    assert "release-41" in text_of(graph) and text_of(proposed) == f"proposed {proposer.proposed[0]}: waits for approval"
    assert memory_file.read_bytes() == before


def test_an_unannotated_tool_is_proposed_and_arguments_its_schema_refuses_are_not(tmp_path, store):
    notes_file = tmp_path / "notes.txt"
    belt, proposer = _belt(store, _Events())
    with belt:
        tools = belt.add(asset(sdk_entry(notes_file)))
        bad, good, peeked = run_script(tools, [[("note", {"text": 7})], [("note", {"text": "hello"})], [("peek", {})]])
    assert bad.status == "error" and "do not match its input schema at text: 7 is not of type 'string'" in text_of(bad)
    assert "nothing was proposed" in text_of(bad) and len(proposer.proposed) == 1
    assert text_of(good) == f"proposed {proposer.proposed[0]}: waits for approval" and text_of(peeked) == ""
    assert notes(notes_file) == []


def test_a_hanging_or_crashing_server_gives_the_model_an_error_and_the_loop_goes_on(tmp_path, store):
    belt, _ = _belt(store, events := _Events())
    with belt:
        tools = belt.add(asset(sdk_entry(tmp_path / "notes.txt", timeout_s=1.5)))
        hung, crashed, after = run_script(tools, [[("hang", {})], [("crash", {})], [("whoami", {})]])
    assert hung.status == "error" and "gave no answer to a call of 'hang' within 1.5s" in text_of(hung)
    assert crashed.status == "error" and "failed during a call of 'crash'" in text_of(crashed)
    assert after.status == "success" and text_of(after) == "(none)"
    assert [e["error"] != "" for e in events if e["kind"] == "mcp_tool_call"] == [True, True, False]


def test_secret_values_never_reach_the_model(tmp_path, store):
    backend = LocalSecretBackend(tmp_path / "secrets")
    backend.put("openbao://kv/sdk#token", "tok-canary-91b2f0c3")
    entry = {**sdk_entry(tmp_path / "notes.txt"), "secrets": {"SDK_SERVER_TOKEN": "openbao://kv/sdk#token"}}
    belt, _ = _belt(store, events := _Events(), secrets_backend=backend)
    with belt:
        (said,) = run_script(belt.add(asset(entry)), [[("whoami", {})]])
    assert text_of(said) == "[REDACTED:SDK_SERVER_TOKEN]"
    assert "tok-canary" not in json.dumps(events)


def test_the_prefix_names_what_the_model_sees_and_the_proposal_keeps_the_tools_own_name(tmp_path, store):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    belt, proposer = _belt(store, _Events())
    with belt:
        with pytest.raises(ConfigError, match="assets 'kg.one' and 'kg.two' both offer a tool named 'create_entities'"):
            belt.add_all([asset(memory_entry(one, asset_id="kg.one")), asset(memory_entry(two, asset_id="kg.two"))])
        assert belt.tools == [], "a failed add offers nothing"
        tools = belt.add_all([asset(memory_entry(one, asset_id="kg.one")),
                              asset(memory_entry(two, asset_id="kg.two", tool_prefix="two_"))])
        assert {"read_graph", "two_read_graph", "two_create_entities"} <= {t.name for t in tools}
        (proposed,) = run_script(tools, [[("two_create_entities", NEW)]])
    payload = store.get(proposer.proposed[0]).payload
    assert (payload["asset_id"], payload["tool"]) == ("kg.two", "create_entities")
    assert not one.exists() and not two.exists()


def test_an_agent_that_may_not_propose_is_not_offered_mutate_tools(memory_file):
    events = _Events()
    with McpToolbelt(emit=events) as belt:
        tools = belt.add(asset(memory_entry(memory_file)))
    assert {t.name for t in tools} == set(MEMORY_READ_TOOLS)
    assert events[0]["kind"] == "mcp_tools_withheld" and "create_entities" in events[0]["tools"]


def test_streamable_http_tools_read_and_propose(tmp_path, store):
    notes_file = tmp_path / "notes.txt"
    notes_file.write_text("seen\n")
    belt, proposer = _belt(store, _Events())
    with http_sdk_server(notes_file) as url, belt:
        entry = {"asset_id": "sdk.http", "kind": "mcp_server", "transport": "streamable_http", "url": url}
        peeked, proposed = run_script(belt.add(asset(entry)), [[("peek", {}), ("note", {"text": "later"})]])
    assert text_of(peeked) == "seen\n" and text_of(proposed).startswith("proposed prop_")
    assert notes(notes_file) == ["seen"] and store.get(proposer.proposed[0]).target == "mcp://sdk.http"


def test_the_model_tools_seam_serves_every_mcp_entry_of_a_run_from_one_toolbelt(tmp_path, store):
    proposer = ToolCallProposer(store=store, thread_id="t1", author_agent="forge")
    run = SimpleNamespace(emit=_Events(), propose=proposer, proposed=[], closers=[])
    first = mcp_tool_provider(asset(memory_entry(tmp_path / "a.jsonl", asset_id="kg.one")), run)
    with pytest.raises(ConfigError, match="'kg.one' and 'kg.two' both offer"):
        mcp_tool_provider(asset(memory_entry(tmp_path / "b.jsonl", asset_id="kg.two")), run)
    (proposed,) = run_script(first, [[("create_entities", NEW)]])
    assert text_of(proposed) == f"proposed {proposer.proposed[0]}: waits for approval"
    assert run.proposed == proposer.proposed, "the run lists what was proposed, for forge's gate batch"
    assert len(run.closers) == 1
    run.closers[0]()
