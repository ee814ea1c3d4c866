"""Each tool's read/mutate policy and its source, from real servers: the npm memory server annotates every tool, the
SDK server leaves some unannotated (default: mutate); overrides, unknown names and duplicate names."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.adapters.mcp_catalog import check_unique, list_server_tools
from fractalops.errors import ConfigError
from tests.adapters.mcp_servers.servers import MEMORY_READ_TOOLS, asset, memory_entry, sdk_entry


def _policies(specs) -> dict[str, tuple[str, str]]:
    return {s.name: (s.policy, s.source) for s in specs}


def test_the_memory_servers_annotations_decide_unless_the_armory_overrides(tmp_path: Path):
    specs = list_server_tools(asset(memory_entry(tmp_path / "memory.jsonl")))
    policies = _policies(specs)
    assert {name for name, (policy, _) in policies.items() if policy == "read"} == set(MEMORY_READ_TOOLS)
    assert policies["create_entities"] == ("mutate", "annotation")  # readOnlyHint: false
    assert all(source == "annotation" for _, source in policies.values())
    create = next(s for s in specs if s.name == "create_entities")
    assert create.approval_class == "standard" and create.exposed_name == "create_entities"
    assert create.input_schema["properties"]["entities"]["type"] == "array"
    overridden = list_server_tools(asset(memory_entry(tmp_path / "memory.jsonl", tools={"read_graph": "mutate"},
                                                      approval_class={"delete_entities": "elevated"},
                                                      tool_prefix="kg_")))
    by_name = {s.name: s for s in overridden}
    assert (by_name["read_graph"].policy, by_name["read_graph"].source) == ("mutate", "override")
    assert by_name["delete_entities"].approval_class == "elevated" and by_name["read_graph"].approval_class == "standard"
    assert by_name["search_nodes"].exposed_name == "kg_search_nodes" and by_name["search_nodes"].approval_class == ""


def test_a_tool_with_no_annotation_is_mutate_by_default(tmp_path: Path):
    policies = _policies(list_server_tools(asset(sdk_entry(tmp_path / "notes.txt"))))
    assert policies["note"] == ("mutate", "default")
    assert policies["peek"] == ("read", "annotation")


def test_an_override_naming_a_tool_the_server_lacks_is_an_error_naming_the_entry(tmp_path: Path):
    entry = sdk_entry(tmp_path / "notes.txt", tools={"nte": "read"})
    with pytest.raises(ConfigError, match=r"asset 'sdk.mcp' \(mcp_server\) names tool\(s\) nte in `tools:`.*"
                                          r"it offers: crash, hang, note, "):
        list_server_tools(asset(entry), where="armory file /srv/armory.yaml")
    with pytest.raises(ConfigError, match="sets approval_class for 'peek', which its server annotates read-only"):
        list_server_tools(asset(sdk_entry(tmp_path / "notes.txt", approval_class={"peek": "elevated"})))


def test_two_servers_offering_the_same_name_are_named_unless_one_is_prefixed(tmp_path: Path):
    one = list_server_tools(asset(memory_entry(tmp_path / "a.jsonl", asset_id="kg.one")))
    two = list_server_tools(asset(memory_entry(tmp_path / "b.jsonl", asset_id="kg.two")))
    with pytest.raises(ConfigError, match=r"assets 'kg.one' and 'kg.two' both offer a tool named 'create_entities'; "
                                          r"set `tool_prefix`"):
        check_unique([*one, *two])
    prefixed = list_server_tools(asset(memory_entry(tmp_path / "b.jsonl", asset_id="kg.two", tool_prefix="two_")))
    check_unique([*one, *prefixed])
