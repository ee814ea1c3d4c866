"""A scripted Anthropic Messages API (`/v1/messages`, SSE streaming) for driving the real Claude Code CLI.

Script: the main request (the one offering tools) is answered with a streamed `tool_use` of the `Write` tool
that creates `file_name` under the working directory the prompt's environment section names; once a `tool_result` comes
back, with a final text. Requests without tools (the session title) get a short text. A wrong
`x-api-key` / bearer token gets 401 with an Anthropic error body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._scripted_http import RecordedRequest, ScriptedHandler, ScriptedServer

__all__ = ["AnthropicScript", "ScriptedAnthropic", "refused_as_anthropic", "start_scripted_anthropic"]

_WORKDIR = re.compile(r"Primary working directory: (\S+)")


@dataclass(frozen=True)
class AnthropicScript:
    """What the scripted model does."""

    file_name: str = "NOTES.md"
    """The file the `Write` tool call creates, relative to the primary working directory."""
    absolute_path: str = ""
    """When set, the `Write` targets this absolute path instead (to probe writes outside the workspace)."""
    content: str = "hello from scripted claude\n"
    """The file's content."""
    final_text: str = "Wrote NOTES.md."
    """The final assistant text after the tool result."""
    title_text: str = "Scripted session"
    """Answer to requests that offer no tools (session title)."""


class ScriptedAnthropic(ScriptedServer):
    script: AnthropicScript

    def main_requests(self) -> list[RecordedRequest]:
        """The `/v1/messages` POSTs that offered tools."""
        return [r for r in self.posts("/v1/messages") if isinstance(r.body, dict) and r.body.get("tools")]


def start_scripted_anthropic(expected_key: str, script: AnthropicScript | None = None) -> ScriptedAnthropic:
    server = ScriptedAnthropic(handler=_AnthropicHandler, expected_key=expected_key)
    server.script = script or AnthropicScript()
    return server.start()  # type: ignore[return-value]


def _all_text(value: Any) -> str:
    """Every string in the request body joined (2.1.x puts the environment in a `system`-role message)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(_all_text(v) for k, v in value.items() if k in ("system", "messages", "content", "text"))
    if isinstance(value, list):
        return "\n".join(_all_text(v) for v in value)
    return ""


def _has_tool_result(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    if not messages:
        return False
    content = messages[-1].get("content")
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def _message_start(model: str, msg_id: str) -> tuple[str, dict[str, Any]]:
    return (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 1},
            },
        },
    )


def _text_stream(model: str, msg_id: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        _message_start(model, msg_id),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": text}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 5}}),
        ("message_stop", {"type": "message_stop"}),
    ]


def _tool_use_stream(model: str, msg_id: str, tool_input: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    raw = json.dumps(tool_input)
    cut = len(raw) // 2
    return [
        _message_start(model, msg_id),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "tool_use", "id": "toolu_scripted_write",
                                                   "name": "Write", "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "input_json_delta", "partial_json": raw[:cut]}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "input_json_delta", "partial_json": raw[cut:]}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                           "usage": {"output_tokens": 20}}),
        ("message_stop", {"type": "message_stop"}),
    ]


def refused_as_anthropic(handler: ScriptedHandler, request: RecordedRequest, expected_key: str) -> bool:
    """Answer as the Messages API refuses: 404 for anything but `POST /v1/messages…`, 401 without the key (as
    `x-api-key` or a bearer token). True when it answered."""
    if not request.path.startswith("/v1/messages") or request.method != "POST":
        handler.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": request.path}})
        return True
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if expected_key not in (request.headers.get("x-api-key"), bearer):
        handler.send_json(401, {"type": "error", "error": {"type": "authentication_error",
                                                           "message": "invalid x-api-key"}})
        return True
    return False


class _AnthropicHandler(ScriptedHandler):
    def answer(self, request: RecordedRequest) -> None:
        server: ScriptedAnthropic = self.scripted  # type: ignore[assignment]
        if refused_as_anthropic(self, request, server.expected_key):
            return
        body = request.body if isinstance(request.body, dict) else {}
        if request.path.startswith("/v1/messages/count_tokens"):
            self.send_json(200, {"input_tokens": 10})
            return
        model = str(body.get("model", "claude-scripted"))
        msg_id = f"msg_scripted_{len(server.requests)}"
        script = server.script
        if not body.get("tools"):
            events = _text_stream(model, msg_id, script.title_text)
        elif _has_tool_result(body):
            events = _text_stream(model, msg_id, script.final_text)
        else:
            match = _WORKDIR.search(_all_text(body))
            workdir = match.group(1) if match else "."
            path = script.absolute_path or f"{workdir}/{script.file_name}"
            events = _tool_use_stream(model, msg_id, {"file_path": path,
                                                      "content": script.content})
        if body.get("stream"):
            self.send_sse(events)
        else:
            self.send_json(200, _collapse(events))


def _collapse(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The non-streaming form of a scripted stream."""
    message = dict(events[0][1]["message"])
    blocks: list[dict[str, Any]] = []
    partial = ""
    for name, data in events[1:]:
        if name == "content_block_start":
            blocks.append(dict(data["content_block"]))
        elif name == "content_block_delta":
            delta = data["delta"]
            if delta["type"] == "text_delta":
                blocks[-1]["text"] += delta["text"]
            else:
                partial += delta["partial_json"]
        elif name == "content_block_stop" and blocks[-1]["type"] == "tool_use":
            blocks[-1]["input"] = json.loads(partial)
        elif name == "message_delta":
            message["stop_reason"] = data["delta"]["stop_reason"]
    message["content"] = blocks
    return message
