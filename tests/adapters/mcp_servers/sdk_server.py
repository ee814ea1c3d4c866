"""A small MCP server written with the `mcp` Python SDK, for tests: `python sdk_server.py stdio|http|mute`.

Tools (annotations as listed; `note` and friends carry none, so the Armory's default makes them mutate):
- `note(text)`: appends `text` as one line to `$NOTES_FILE`; returns how many lines it holds (counts real calls).
- `note_then_hang(text)` / `note_then_crash(text)`: the same, then never answers / exits: the caller cannot know.
- `peek()` (readOnlyHint): the lines of `$NOTES_FILE`.
- `whoami()` (readOnlyHint): the value of `$SDK_SERVER_TOKEN` (what the Armory's secret resolved to).
- `hang(seconds)` / `crash()` (readOnlyHint): never answers in time / exits mid-call.

`http` binds 127.0.0.1 on a free port and prints `port <n>` as its first stdout line; `mute` reads stdin and never
answers anything (a server that hangs while connecting). With `$PID_FILE` set, each start appends its pid there.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

READ = ToolAnnotations(readOnlyHint=True)
server = FastMCP("fractalops-test-server", host="127.0.0.1", log_level="WARNING")


def _append(text: str) -> int:
    path = Path(os.environ["NOTES_FILE"])
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return len(path.read_text(encoding="utf-8").splitlines())


@server.tool()
def note(text: str) -> str:
    """Append one line to the notes file."""
    return f"{_append(text)} note(s)"


@server.tool()
async def note_then_hang(text: str) -> str:
    """Append one line, then never answer."""
    _append(text)
    await anyio.sleep(3600)
    return "late"


@server.tool()
def note_then_crash(text: str) -> str:
    """Append one line, then exit without answering."""
    _append(text)
    os._exit(3)


@server.tool(annotations=READ)
def peek() -> str:
    """The notes so far."""
    path = Path(os.environ["NOTES_FILE"])
    return path.read_text(encoding="utf-8") if path.exists() else ""


@server.tool(annotations=READ)
def whoami() -> str:
    """The token this server was started with."""
    return os.environ.get("SDK_SERVER_TOKEN", "(none)")


@server.tool(annotations=READ)
async def hang(seconds: float = 3600) -> str:
    """Sleep, then answer."""
    await anyio.sleep(seconds)
    return "woke up"


@server.tool(annotations=READ)
def crash() -> str:
    """Exit mid-call."""
    print("crashing on purpose", file=sys.stderr, flush=True)
    os._exit(4)


def _serve_http() -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections wait in the backlog until uvicorn accepts: the port is usable once printed
    print(f"port {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(server.streamable_http_app(), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if os.environ.get("PID_FILE"):
        with open(os.environ["PID_FILE"], "a", encoding="utf-8") as pids:
            pids.write(f"{os.getpid()}\n")
    if mode == "http":
        _serve_http()
    elif mode == "mute":
        for _line in sys.stdin:
            time.sleep(0)
    else:
        server.run("stdio")
