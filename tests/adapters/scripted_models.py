"""Scripted chat-model servers on 127.0.0.1 for the REAL `langchain-openai` and `langchain-anthropic` clients.

One script drives both wire formats: an OpenAI Chat Completions endpoint (`/v1/chat/completions`) and an Anthropic
Messages endpoint (`/v1/messages`), each answering streamed (SSE) or plain JSON as the client asks. The answer to a
request is chosen from the conversation it carries, so the server keeps no session:

- a request offering a tool named in `ModelScript.by_tool` (structured output, e.g. atlas's plan) gets that turn;
- a request offering no tools gets `ModelScript.plain_text` (e.g. a pack agent's review note);
- otherwise turn *n* of `ModelScript.turns`, where *n* is the number of assistant messages already in the
  conversation; past the end, a final text.

A turn may call tools (arguments as a dict, or a raw string to send malformed JSON), say text, answer an HTTP
error status, or wait before answering (to hit a client timeout). A wrong key gets 401.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.adapters.cli_agents._scripted_http import RecordedRequest, ScriptedHandler, ScriptedServer
from tests.adapters.cli_agents.scripted_anthropic import refused_as_anthropic

__all__ = ["Call", "Turn", "ModelScript", "ScriptedModelServer", "start_openai_chat", "start_anthropic_messages"]


@dataclass(frozen=True)
class Call:
    """One tool call the model makes."""

    name: str
    """The tool's name, as the client offered it."""
    args: dict[str, Any] | str = field(default_factory=dict)
    """Arguments; a `str` is sent verbatim (to send malformed JSON)."""


@dataclass(frozen=True)
class Turn:
    """One model answer."""

    calls: tuple[Call, ...] = ()
    """Tool calls (several = parallel tool calls)."""
    text: str = ""
    """Assistant text (with or without calls)."""
    status: int = 200
    """An HTTP error status to answer instead (e.g. 500)."""
    delay_s: float = 0.0
    """Seconds to wait before answering (the wait ends early when the server stops)."""
    output_tokens: int = 10
    """The output tokens this answer reports."""


@dataclass
class ModelScript:
    turns: list[Turn] = field(default_factory=list)
    """The conversation's answers, by how many assistant messages it already holds."""
    final_text: str = "Done: the change is in the worktree."
    """The answer once the turns are used up."""
    by_tool: dict[str, Turn] = field(default_factory=dict)
    """Tool name → the answer to any request offering that tool (structured output)."""
    plain_text: str = "Scripted note."
    """The answer to a request offering no tools."""

    def answer(self, tool_names: list[str], assistant_turns: int) -> Turn:
        for name in tool_names:
            if name in self.by_tool:
                return self.by_tool[name]
        if not tool_names:
            return Turn(text=self.plain_text)
        if assistant_turns < len(self.turns):
            return self.turns[assistant_turns]
        return Turn(text=self.final_text)


class ScriptedModelServer(ScriptedServer):
    script: ModelScript
    stopping: threading.Event

    def model_requests(self) -> list[RecordedRequest]:
        """Every chat request received (both wire formats)."""
        return [r for r in self.requests if r.method == "POST" and ("/messages" in r.path or "/chat/" in r.path)]

    def stop(self) -> None:
        self.stopping.set()
        super().stop()


def _start(handler: type[ScriptedHandler], key: str, script: ModelScript) -> ScriptedModelServer:
    server = ScriptedModelServer(handler=handler, expected_key=key)
    server.script = script
    server.stopping = threading.Event()
    return server.start()  # type: ignore[return-value]


def start_openai_chat(key: str, script: ModelScript) -> ScriptedModelServer:
    """An OpenAI Chat Completions endpoint; point `base_url` at `<base_url>/v1`."""
    return _start(_OpenAIChatHandler, key, script)


def start_anthropic_messages(key: str, script: ModelScript) -> ScriptedModelServer:
    """An Anthropic Messages endpoint; point `base_url` at `<base_url>`."""
    return _start(_AnthropicHandler, key, script)


def _raw_args(call: Call) -> str:
    return call.args if isinstance(call.args, str) else json.dumps(call.args)


class _Handler(ScriptedHandler):
    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        try:
            super().do_POST()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def scripted_turn(self, body: dict[str, Any], tool_names: list[str]) -> Turn | None:
        server: ScriptedModelServer = self.scripted  # type: ignore[assignment]
        assistant = sum(1 for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "assistant")
        turn = server.script.answer(tool_names, assistant)
        if turn.delay_s:
            server.stopping.wait(turn.delay_s)
        return turn


class _OpenAIChatHandler(_Handler):
    def answer(self, request: RecordedRequest) -> None:
        server: ScriptedModelServer = self.scripted  # type: ignore[assignment]
        if request.headers.get("authorization", "").removeprefix("Bearer ").strip() != server.expected_key:
            self.send_json(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                           "param": None, "code": "invalid_api_key"}})
            return
        if request.method != "POST" or not request.path.startswith("/v1/chat/completions"):
            self.send_json(404, {"error": {"message": f"no route {request.path}", "type": "not_found"}})
            return
        body = request.body if isinstance(request.body, dict) else {}
        tools = [t.get("function", {}).get("name", "") for t in body.get("tools") or []]
        turn = self.scripted_turn(body, tools)
        if turn.status != 200:
            self.send_json(turn.status, {"error": {"message": f"scripted failure {turn.status}",
                                                   "type": "server_error", "param": None, "code": None}})
            return
        model = str(body.get("model", "gpt-scripted"))
        calls = [{"id": f"call_{i}_{len(server.requests)}", "type": "function",
                  "function": {"name": c.name, "arguments": _raw_args(c)}} for i, c in enumerate(turn.calls)]
        usage = {"prompt_tokens": 10, "completion_tokens": turn.output_tokens,
                 "total_tokens": 10 + turn.output_tokens}
        finish = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
            if calls:
                message["tool_calls"] = calls
            self.send_json(200, {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0,
                                 "model": model, "choices": [{"index": 0, "message": message,
                                                              "finish_reason": finish}], "usage": usage})
            return
        self.send_data_stream([*self._chunks(model, turn.text, calls, finish),
                               {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0,
                                "model": model, "choices": [], "usage": usage}])

    @staticmethod
    def _chunks(model: str, text: str, calls: list[dict[str, Any]], finish: str) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}

        out = [chunk({"role": "assistant", "content": ""})]
        if text:
            cut = len(text) // 2
            out += [chunk({"content": text[:cut]}), chunk({"content": text[cut:]})]
        for i, call in enumerate(calls):
            raw = call["function"]["arguments"]
            cut = len(raw) // 2
            out.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                              "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            out += [chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
                    for part in (raw[:cut], raw[cut:])]
        out.append(chunk({}, finish))
        return out

    def send_data_stream(self, chunks: list[dict[str, Any]]) -> None:
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class _AnthropicHandler(_Handler):
    def answer(self, request: RecordedRequest) -> None:
        server: ScriptedModelServer = self.scripted  # type: ignore[assignment]
        if refused_as_anthropic(self, request, server.expected_key):
            return
        body = request.body if isinstance(request.body, dict) else {}
        tools = [str(t.get("name", "")) for t in body.get("tools") or []]
        turn = self.scripted_turn(body, tools)
        if turn.status != 200:
            self.send_json(turn.status, {"type": "error", "error": {"type": "api_error",
                                                                    "message": f"scripted failure {turn.status}"}})
            return
        model = str(body.get("model", "claude-scripted"))
        blocks: list[dict[str, Any]] = []
        if turn.text:
            blocks.append({"type": "text", "text": turn.text})
        for i, call in enumerate(turn.calls):
            blocks.append({"type": "tool_use", "id": f"toolu_{i}_{len(server.requests)}", "name": call.name,
                           "input": call.args, "_raw": _raw_args(call)})
        stop = "tool_use" if turn.calls else "end_turn"
        if not body.get("stream"):
            # The plain wire carries `input` as an object: a malformed script call arrives as `{}` (missing arguments).
            content = [{k: ({} if k == "input" and isinstance(v, str) else v) for k, v in b.items() if k != "_raw"}
                       for b in blocks]
            self.send_json(200, {"id": "msg_scripted", "type": "message", "role": "assistant", "model": model,
                                 "content": content, "stop_reason": stop, "stop_sequence": None,
                                 "usage": {"input_tokens": 10, "output_tokens": turn.output_tokens}})
            return
        self.send_sse(self._events(model, blocks, stop, turn.output_tokens))

    @staticmethod
    def _events(model: str, blocks: list[dict[str, Any]], stop: str, output_tokens: int
                ) -> list[tuple[str, dict[str, Any]]]:
        events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": {
            "id": "msg_scripted", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 0}}})]
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                start = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": block["text"]}]
            else:
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                raw = block["_raw"]
                cut = len(raw) // 2
                deltas = [{"type": "input_json_delta", "partial_json": part} for part in (raw[:cut], raw[cut:])]
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": start}))
            events += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
                       for d in deltas]
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        events += [("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                      "usage": {"output_tokens": output_tokens}}),
                   ("message_stop", {"type": "message_stop"})]
        return events
