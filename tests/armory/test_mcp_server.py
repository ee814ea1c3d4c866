"""`mcp_server` assets: what loads, what fails at load (naming the file and the entry), and the declared class."""

from __future__ import annotations

import pytest

from fractalops.armory import load_armory
from fractalops.armory.mcp_server import declared_class
from fractalops.errors import ConfigError

from .conftest import asset

STDIO = {"asset_id": "tickets.mcp", "kind": "mcp_server", "transport": "stdio", "command": ["node", "/srv/t.js"]}
HTTP = {"asset_id": "search.mcp", "kind": "mcp_server", "transport": "streamable_http", "url": "http://127.0.0.1:9/mcp"}


def test_stdio_and_http_servers_load_with_no_role_and_a_short_timeout(write_armory) -> None:
    path = write_armory({"assets": [
        {**STDIO, "env": {"TICKETS_DB": "/srv/t.db"}, "secrets": {"TICKETS_TOKEN": "openbao://kv/t#token"},
         "tools": {"create_ticket": "mutate", "lookup": "read"}, "approval_class": {"create_ticket": "elevated"}},
        {**HTTP, "tool_prefix": "search_", "timeout_s": 5}, asset("codex.default", "codex")]})
    armory = load_armory(path)
    tickets, search = armory.mcp_servers()
    assert (tickets.role, tickets.timeout_s, tickets.tools) == ("", 60.0, {"create_ticket": "mutate", "lookup": "read"})
    assert tickets.approval_class == {"create_ticket": "elevated"} and tickets.secret_refs()
    assert (search.url, search.tool_prefix, search.timeout_s) == ("http://127.0.0.1:9/mcp", "search_", 5.0)
    assert "tickets.mcp" in armory.selectors() and "" not in armory.selectors()


@pytest.mark.parametrize("entry, message", [
    ({**STDIO, "transport": None}, "needs `transport: stdio`"),
    ({**STDIO, "transport": "websocket"}, "transport: Input should be 'stdio' or 'streamable_http'"),
    ({**STDIO, "command": []}, "a stdio mcp_server needs a `command`"),
    ({**STDIO, "url": "http://x/mcp"}, "takes a `command`, not a `url`"),
    ({**HTTP, "url": "ftp://x"}, "needs an http(s) `url`"),
    ({**HTTP, "secrets": {"T": "openbao://kv/t#v"}}, "secrets only apply to transport stdio"),
    ({**STDIO, "tools": {"lookup": "write"}}, "tools.lookup: 'write' is not a tool policy; use read or mutate"),
    ({**STDIO, "tools": ["lookup"]}, "maps a tool name to read or mutate"),
    ({**STDIO, "approval_class": {"create": "routine"}}, "approval_class only raises"),
    ({**STDIO, "approval_class": {"create": "standard"}}, "would not raise a tool_call above its default standard"),
    ({**STDIO, "approval_class": {"create": "godlike"}}, "approval_class.create: Input should be"),
    ({**STDIO, "tools": {"lookup": "read"}, "approval_class": {"lookup": "elevated"}}, "lookup is overridden as read"),
    ({**STDIO, "tool_prefix": "_x"}, "tool_prefix '_x' must start with a letter"),
    ({**STDIO, "tool_prefix": "a b"}, "tool_prefix: String should match pattern"),
    (asset("codex.default", "codex", transport="stdio"), "transport only apply to kind mcp_server, not codex"),
    (asset("codex.default", "codex", tools={"x": "read"}), "only mcp_server assets map tool policies"),
    ({"asset_id": "c", "kind": "codex", "command": ["codex"]}, "role: a role is required"),
])
def test_a_bad_entry_fails_at_load_naming_the_entry(write_armory, entry: dict, message: str) -> None:
    path = write_armory({"assets": [asset("ok.first", "first"), entry]})
    with pytest.raises(ConfigError) as info:
        load_armory(path)
    text = str(info.value)
    assert message in text and str(path.resolve()) in text and f"assets[1] (asset_id {entry['asset_id']!r})" in text


def test_two_assets_naming_the_same_tool_fail_at_load_unless_one_is_prefixed(write_armory) -> None:
    other = {**HTTP, "asset_id": "other.mcp", "tools": {"lookup": "read"}}
    path = write_armory({"assets": [{**STDIO, "tools": {"lookup": "read"}}, other]})
    with pytest.raises(ConfigError, match=r"assets 'tickets.mcp' and 'other.mcp' both offer a tool named 'lookup'; "
                                          r"set `tool_prefix`"):
        load_armory(path)
    load_armory(write_armory({"assets": [{**STDIO, "tools": {"lookup": "read"}}, {**other, "tool_prefix": "o_"}]},
                             name="prefixed.yaml"))
    with pytest.raises(ConfigError, match="both offer a tool named 'p_lookup'"):  # the same prefix twice is no help
        load_armory(write_armory({"assets": [{**STDIO, "tool_prefix": "p_", "tools": {"lookup": "read"}},
                                             {**other, "tool_prefix": "p_"}]}, name="same.yaml"))


def test_an_mcp_server_is_never_an_agents_binding(write_armory) -> None:
    with pytest.raises(ConfigError, match=r"bindings.forge: 'tickets.mcp' is an mcp_server, a source of tools"):
        load_armory(write_armory({"assets": [STDIO], "bindings": {"forge": "tickets.mcp"}}))
    armory = load_armory(write_armory({"assets": [STDIO]}, name="unbound.yaml"))
    with pytest.raises(ConfigError, match=r"configurable.bindings\['forge'\]: 'tickets.mcp' is an mcp_server"):
        armory.bindings_for({"forge": "tickets.mcp"})


def test_a_models_tool_list_must_name_mcp_servers(write_armory) -> None:
    def model(*tools: str) -> dict:
        return {"asset_id": "model.default", "role": "model", "kind": "chat_model", "model": "openai:gpt-4.1-mini",
                "secrets": {"api_key": "openbao://kv/m#api_key"}, "tools": list(tools)}

    armory = load_armory(write_armory({"assets": [STDIO, model("tickets.mcp")]}))
    assert armory.asset("model.default").tools == ["tickets.mcp"]
    with pytest.raises(ConfigError, match=r"'model.default' lists tools from 'nope', which is not declared; "
                                          r"mcp_server assets: tickets.mcp"):
        load_armory(write_armory({"assets": [STDIO, model("tickets.mcp", "nope")]}, name="unknown.yaml"))
    with pytest.raises(ConfigError, match=r"'codex.default', which is a codex asset, not an mcp_server"):
        load_armory(write_armory({"assets": [STDIO, asset("codex.default", "codex"), model("codex.default")]},
                                 name="codex.yaml"))
    with pytest.raises(ConfigError, match="tools: a list of mcp_server asset ids"):
        load_armory(write_armory({"assets": [{**model(), "tools": {"lookup": "read"}}]}, name="map.yaml"))


def test_the_declared_class_of_a_tool_call(write_armory) -> None:
    armory = load_armory(write_armory({"assets": [{**STDIO, "approval_class": {"create_ticket": "restricted"}}]}))
    call = {"asset_id": "tickets.mcp", "tool": "create_ticket", "arguments": {}}
    assert armory.declared_class("tool_call", call) == "restricted"
    assert armory.declared_class("tool_call", {**call, "tool": "close_ticket"}) is None
    assert armory.declared_class("workspace_patch", call) is None
    # a call whose server the Armory no longer declares is not judged: elevated
    assert armory.declared_class("tool_call", {**call, "asset_id": "gone.mcp"}) == "elevated"
    assert declared_class([], "tool_call", call) == "elevated"
