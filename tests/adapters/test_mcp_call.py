"""`call_tool_once` against the real SDK server: the marker comes first, the call goes once, refusals send nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.adapters.mcp_call import call_tool_once
from fractalops.errors import McpCallRefusedError, McpServerError
from tests.adapters.mcp_servers.servers import asset, notes, sdk_entry


@pytest.fixture
def notes_file(tmp_path: Path) -> Path:
    return tmp_path / "notes.txt"


def test_the_marker_is_written_before_the_call_and_the_call_is_sent_once(notes_file):
    seen_at_marker: list[list[str]] = []
    result = call_tool_once(asset(sdk_entry(notes_file)), "note", {"text": "ship it"},
                            before_call=lambda: seen_at_marker.append(notes(notes_file)))
    assert seen_at_marker == [[]], "before_call ran once, before the server acted"
    assert notes(notes_file) == ["ship it"]
    assert (result.tool, result.arguments, result.is_error) == ("note", {"text": "ship it"}, False)
    assert result.content == [{"type": "text", "text": "1 note(s)"}]
    assert result.structured_content == {"result": "1 note(s)"}
    assert result.server["name"] == "fractalops-test-server"
    document = result.evidence("prop_x", "sha256:h")
    assert document["type"] == "mcp_tool_result" and document["proposal_id"] == "prop_x"


@pytest.mark.parametrize("tool, arguments, message", [
    ("nope", {}, "no longer offers tool 'nope'"),
    ("note", {"text": 5}, "do not match its input schema at text: 5 is not of type 'string'"),
    ("note", {}, "'text' is a required property"),
])
def test_a_call_the_servers_tool_list_refuses_is_not_sent(notes_file, tool, arguments, message):
    marked: list[bool] = []
    with pytest.raises(McpCallRefusedError, match=message) as info:
        call_tool_once(asset(sdk_entry(notes_file)), tool, arguments, before_call=lambda: marked.append(True))
    assert not marked and not info.value.outcome_unknown and notes(notes_file) == []


@pytest.mark.parametrize("tool", ["note_then_hang", "note_then_crash"])
def test_no_answer_after_the_marker_is_an_unknown_outcome(notes_file, tool):
    marked: list[bool] = []
    with pytest.raises(McpServerError) as info:
        call_tool_once(asset(sdk_entry(notes_file, timeout_s=1.5)), tool, {"text": "maybe"},
                       before_call=lambda: marked.append(True))
    assert marked and info.value.outcome_unknown
    assert notes(notes_file) == ["maybe"], "the server did act: exactly why it is never called again by itself"


def test_a_server_that_cannot_be_reached_is_failed_before_the_marker(notes_file):
    marked: list[bool] = []
    unreachable = {**sdk_entry(notes_file), "command": ["/nonexistent/mcp-server"]}
    with pytest.raises(McpServerError, match="could not be connected") as info:
        call_tool_once(asset(unreachable), "note", {"text": "x"}, before_call=lambda: marked.append(True))
    assert not marked and not info.value.outcome_unknown
