"""`fractalops armory list` shows MCP servers; `fractalops armory tools ASSET_ID` lists a real server's tools with
their policy and its source, through a real `langgraph dev` whose Armory declares them (`GET /armory/{id}/tools`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from tests.adapters.mcp_servers.servers import memory_entry, sdk_entry
from tests.e2e.conftest import Server, start_server

pytestmark = pytest.mark.server

BUILDER = {"asset_id": "workspace.default", "role": "builder", "kind": "workspace_cli", "allowed_roles": ["*"],
           "command": ["{python}", "-m", "fractalops.adapters.write_changes", "{task_file}"]}


@pytest.fixture(scope="module")
def mcp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("armory-tools")
    armory = root / "armory.yaml"
    armory.write_text(yaml.safe_dump({"assets": [
        BUILDER,
        memory_entry(root / "memory.jsonl", approval_class={"delete_entities": "elevated"}),
        sdk_entry(root / "notes.txt", tool_prefix="sdk_"),
        sdk_entry(root / "notes.txt", asset_id="typo.mcp", tool_prefix="typo_", tools={"nte": "read"}),
        {**sdk_entry(root / "notes.txt", asset_id="broken.mcp", tool_prefix="b_"), "command": ["/nonexistent/mcp"]},
        {"asset_id": "model.default", "role": "model", "kind": "chat_model", "model": "openai:gpt-4.1-mini",
         "base_url": "http://127.0.0.1:9/v1", "max_steps": 12,
         "secrets": {"api_key": "openbao://kv/fractalops/openai#api_key"}, "tools": ["memory.mcp", "sdk.mcp"]},
    ], "bindings": {"forge": "workspace.default"}}, sort_keys=False))
    srv = start_server(root / "data", FRACTALOPS_ARMORY=str(armory))
    yield srv
    srv.dev.stop()


def test_list_shows_mcp_servers_with_their_transport(mcp_server: Server, cli) -> None:
    rows = {a["asset_id"]: a for a in cli("armory", "list", "--json", key="key-bob", url=mcp_server.url).json()}
    memory = rows["memory.mcp"]
    assert (memory["kind"], memory["role"], memory["transport"]) == ("mcp_server", "", "stdio")
    assert memory["approval_class"] == {"delete_entities": "elevated"} and rows["sdk.mcp"]["tool_prefix"] == "sdk_"
    model = rows["model.default"]
    assert (model["kind"], model["model"], model["base_url"], model["tools"]) == (
        "chat_model", "openai:gpt-4.1-mini", "http://127.0.0.1:9/v1", ["memory.mcp", "sdk.mcp"])
    assert (model["max_steps"], model["max_output_tokens"], model["secrets"]) == (
        12, 200_000, {"api_key": "openbao://kv/fractalops/openai#api_key"})
    human = cli("armory", "list")
    line = next(row for row in human.stdout.splitlines() if row.startswith("typo.mcp"))
    assert "mcp_server" in line and "stdio: " in line and "names prefixed typo_; overrides nte=read" in line
    line = next(row for row in human.stdout.splitlines() if row.startswith("model.default"))
    assert line.endswith("openai:gpt-4.1-mini at http://127.0.0.1:9/v1; tools from memory.mcp, sdk.mcp")


def test_tools_lists_each_tool_with_its_policy_and_where_it_came_from(mcp_server: Server, cli) -> None:
    document = cli("armory", "tools", "memory.mcp", "--json", key="key-bob", url=mcp_server.url).json()
    tools = {t["name"]: t for t in document["tools"]}
    assert (tools["read_graph"]["policy"], tools["read_graph"]["source"]) == ("read", "annotation")
    assert (tools["create_entities"]["policy"], tools["create_entities"]["approval_class"]) == ("mutate", "standard")
    assert tools["delete_entities"]["approval_class"] == "elevated"
    sdk = {t["name"]: t for t in cli("armory", "tools", "sdk.mcp", "--json").json()["tools"]}
    assert (sdk["note"]["policy"], sdk["note"]["source"], sdk["note"]["exposed_name"]) == ("mutate", "default", "sdk_note")
    human = cli("armory", "tools", "sdk.mcp")
    assert human.code == 0 and "sdk.mcp (stdio)" in human.stdout
    note = next(row.split() for row in human.stdout.splitlines() if row.startswith("sdk_note "))
    assert note[:5] == ["sdk_note", "(note)", "mutate", "default", "standard"]


@pytest.mark.parametrize("asset_id, error_type, message", [
    ("typo.mcp", "ConfigError", "names tool(s) nte in `tools:`/`approval_class:`, which its server does not offer"),
    ("workspace.default", "ConfigError", "'workspace.default' is a workspace_cli asset; tools are listed for "
                                         "mcp_server assets (memory.mcp, sdk.mcp, typo.mcp, broken.mcp)"),
    ("nope.mcp", "UnknownNameError", "unknown asset_id 'nope.mcp'"),
    ("broken.mcp", "McpServerError", "MCP server 'broken.mcp' could not be connected"),
])
def test_what_cannot_be_listed_says_why(mcp_server: Server, cli, asset_id: str, error_type: str, message: str) -> None:
    result = cli("armory", "tools", asset_id, "--json", key="key-alice", url=mcp_server.url)
    assert result.code == 1 and result.json()["error_type"] == error_type and message in result.json()["error"]


def test_agents_and_role_less_keys_may_not_start_an_mcp_server(mcp_server: Server, cli) -> None:
    for key in ("key-bot", "key-carol"):
        refused = cli("armory", "tools", "memory.mcp", "--json", key=key, url=mcp_server.url)
        assert refused.code == 1 and refused.json()["error_type"] == "Forbidden"
        assert "may not read armory_tools" in refused.json()["error"]
