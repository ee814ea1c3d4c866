"""A scripted OpenAI Responses API (`/v1/responses`, SSE streaming) for driving the real Codex CLI.

Script: the first turn is answered with a `function_call` of `exec_command` running `command` (which writes a
file in the workspace); once a `function_call_output` comes back, with a final assistant message. A wrong
bearer token gets 401 with an OpenAI error body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ._scripted_http import RecordedRequest, ScriptedHandler, ScriptedServer

__all__ = ["OpenAIScript", "ScriptedOpenAI", "start_scripted_openai"]


@dataclass(frozen=True)
class OpenAIScript:
    """What the scripted model does."""

    command: str = "printf 'hello from scripted codex\\n' > NOTES.md"
    """The shell command the `exec_command` call runs (in the workspace)."""
    final_text: str = "Wrote NOTES.md."
    """The final assistant message after the function call output."""
    tool_name: str = "exec_command"
    """The function the model calls; Codex 0.169 offers `exec_command`, not `shell`/`apply_patch`."""


class ScriptedOpenAI(ScriptedServer):
    script: OpenAIScript

    def response_requests(self) -> list[RecordedRequest]:
        return self.posts("/v1/responses")


def start_scripted_openai(expected_key: str, script: OpenAIScript | None = None) -> ScriptedOpenAI:
    server = ScriptedOpenAI(handler=_OpenAIHandler, expected_key=expected_key)
    server.script = script or OpenAIScript()
    return server.start()  # type: ignore[return-value]


def function_call_outputs(body: Any) -> list[dict[str, Any]]:
    """The `function_call_output` items of a Responses request body."""
    items = body.get("input") if isinstance(body, dict) else None
    return [i for i in items or [] if isinstance(i, dict) and i.get("type") == "function_call_output"]


def _usage() -> dict[str, Any]:
    return {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}


def _stream(resp_id: str, model: str, item: dict[str, Any], deltas: list[tuple[str, dict[str, Any]]]
            ) -> list[tuple[str, dict[str, Any]]]:
    base = {"id": resp_id, "object": "response", "model": model, "status": "in_progress", "output": []}
    started = dict(item, status="in_progress")
    if item["type"] == "function_call":
        started["arguments"] = ""
    else:
        started["content"] = []
    done = dict(item, status="completed")
    return [
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": base}),
        ("response.in_progress", {"type": "response.in_progress", "sequence_number": 1, "response": base}),
        ("response.output_item.added", {"type": "response.output_item.added", "sequence_number": 2,
                                        "output_index": 0, "item": started}),
        *deltas,
        ("response.output_item.done", {"type": "response.output_item.done", "sequence_number": 90,
                                       "output_index": 0, "item": done}),
        ("response.completed", {"type": "response.completed", "sequence_number": 99,
                                "response": dict(base, status="completed", output=[done], usage=_usage())}),
    ]


def _function_call_stream(resp_id: str, model: str, name: str, arguments: str) -> list[tuple[str, dict[str, Any]]]:
    item = {"type": "function_call", "id": "fc_scripted_1", "call_id": "call_scripted_1", "name": name,
            "arguments": arguments}
    cut = len(arguments) // 2
    deltas = [
        ("response.function_call_arguments.delta", {"type": "response.function_call_arguments.delta",
                                                    "sequence_number": 3 + i, "item_id": item["id"],
                                                    "output_index": 0, "delta": part})
        for i, part in enumerate((arguments[:cut], arguments[cut:]))
    ]
    deltas.append(("response.function_call_arguments.done", {"type": "response.function_call_arguments.done",
                                                             "sequence_number": 5, "item_id": item["id"],
                                                             "output_index": 0, "arguments": arguments}))
    return _stream(resp_id, model, item, deltas)


def _message_stream(resp_id: str, model: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    part = {"type": "output_text", "text": text, "annotations": []}
    item = {"type": "message", "id": "msg_scripted_1", "role": "assistant", "content": [part]}
    where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    deltas = [
        ("response.content_part.added", {"type": "response.content_part.added", "sequence_number": 3, **where,
                                         "part": {"type": "output_text", "text": "", "annotations": []}}),
        ("response.output_text.delta", {"type": "response.output_text.delta", "sequence_number": 4, **where,
                                        "delta": text}),
        ("response.output_text.done", {"type": "response.output_text.done", "sequence_number": 5, **where,
                                       "text": text}),
        ("response.content_part.done", {"type": "response.content_part.done", "sequence_number": 6, **where,
                                        "part": part}),
    ]
    return _stream(resp_id, model, item, deltas)


class _OpenAIHandler(ScriptedHandler):
    def answer(self, request: RecordedRequest) -> None:
        server: ScriptedOpenAI = self.scripted  # type: ignore[assignment]
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if bearer != server.expected_key:
            self.send_json(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                           "param": None, "code": "invalid_api_key"}})
            return
        if request.method == "GET" and request.path.split("?")[0].endswith("/models"):
            self.send_json(200, {"object": "list", "data": [], "models": []})
            return
        if request.method != "POST" or not request.path.startswith("/v1/responses"):
            self.send_json(404, {"error": {"message": f"no route {request.path}", "type": "not_found"}})
            return
        body = request.body if isinstance(request.body, dict) else {}
        model = str(body.get("model", "gpt-scripted"))
        resp_id = f"resp_scripted_{len(server.requests)}"
        script = server.script
        if function_call_outputs(body):
            events = _message_stream(resp_id, model, script.final_text)
        else:
            arguments = json.dumps({"cmd": script.command, "login": False})
            events = _function_call_stream(resp_id, model, script.tool_name, arguments)
        self.send_sse(events)
