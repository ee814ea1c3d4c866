"""A read MCP tool call through the governed path vs a direct `langchain-mcp-adapters` tool call, same server.

Server: `@modelcontextprotocol/server-memory` (npm, stdio), one process per side, both on a copy of the same seeded
knowledge graph. Each call is what an agent loop's tool node does: invoke the tool with a tool call and get a
`ToolMessage` back.
- candidate: the `McpToolbelt` tool (`search_nodes`, policy read), invoked synchronously as forge's loop does: the hop
  to the MCP loop thread, the live event, the redaction;
- baseline: the adapters' own tool from `load_mcp_tools(session)` on a held `ClientSession`, awaited on its loop.
Both sides alternate in short rounds (so a busy machine slows both alike); prints the median per-call latency, the
ratio (target <= 1.2x), and a JSON line.
A side that answers differently, or a missing server, is a functional failure (exit 1).

    .venv/bin/python benchmarks/mcp_tool_call.py [--calls 20] [--rounds 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._ratio import report_ratio  # noqa: E402
from fractalops.adapters.mcp_tools import McpToolbelt  # noqa: E402
from fractalops.armory.assets import RuntimeAsset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER_JS = Path(os.environ.get("FRACTALOPS_MCP_SERVERS_PREFIX") or ROOT / ".cache" / "mcp-servers") / \
    "node_modules" / "@modelcontextprotocol" / "server-memory" / "dist" / "index.js"
NODE = str(Path(sys.executable).with_name("node")) if Path(sys.executable).with_name("node").exists() else "node"
SEED = [{"type": "entity", "name": f"service-{i}", "entityType": "service", "observations": [f"owner team-{i % 7}"]}
        for i in range(50)]
QUERY = {"query": "team-3"}


def _call(i: int) -> dict:
    return {"name": "search_nodes", "args": QUERY, "id": f"call_{i}", "type": "tool_call"}


def _text(message) -> str:
    content = message.content
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content if isinstance(b, dict))


async def _baseline(memory: Path, calls: int, rounds: int, results: list[float], answers: set[str],
                    turn: asyncio.Queue, done: asyncio.Queue) -> None:
    from langchain_mcp_adapters.tools import load_mcp_tools
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=NODE, args=[str(SERVER_JS)], env={"MEMORY_FILE_PATH": str(memory)})
    with open(os.devnull, "w") as devnull:
        async with stdio_client(params, errlog=devnull) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tool = next(t for t in await load_mcp_tools(session) if t.name == "search_nodes")
            await tool.ainvoke(_call(-1))  # warm-up
            for _ in range(rounds):
                await turn.get()
                for i in range(calls):
                    started = time.perf_counter()
                    message = await tool.ainvoke(_call(i))
                    results.append(time.perf_counter() - started)
                    answers.add(_text(message))
                await done.put(None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20,
                        help="calls per side per round (few: both sides sample the machine at the same moments)")
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    if not SERVER_JS.is_file():
        print(f"the memory server is not installed at {SERVER_JS}; run scripts/install-mcp-servers.sh", file=sys.stderr)
        return 1
    scratch = Path(tempfile.mkdtemp(prefix="bench-mcp-"))
    try:
        seeded = "".join(json.dumps(line) + "\n" for line in SEED)
        (scratch / "a.jsonl").write_text(seeded)
        (scratch / "b.jsonl").write_text(seeded)
        asset = RuntimeAsset(asset_id="memory.mcp", kind="mcp_server", transport="stdio",
                             command=[NODE, str(SERVER_JS)], env={"MEMORY_FILE_PATH": str(scratch / "a.jsonl")})
        events: list[tuple[str, str]] = []
        governed_times: list[float] = []
        direct_times: list[float] = []
        governed_answers: set[str] = set()
        direct_answers: set[str] = set()

        loop = asyncio.new_event_loop()
        turn: asyncio.Queue = asyncio.Queue()
        done: asyncio.Queue = asyncio.Queue()
        import threading

        baseline = threading.Thread(target=loop.run_until_complete, args=(
            _baseline(scratch / "b.jsonl", args.calls, args.rounds, direct_times, direct_answers, turn, done),))
        baseline.start()
        with McpToolbelt(emit=lambda kind, text, **data: events.append((kind, text))) as belt:
            tool = next(t for t in belt.add(asset) if t.name == "search_nodes")
            tool.invoke(_call(-1))  # warm-up
            for _ in range(args.rounds):
                for i in range(args.calls):
                    started = time.perf_counter()
                    message = tool.invoke(_call(i))
                    governed_times.append(time.perf_counter() - started)
                    governed_answers.add(_text(message))
                asyncio.run_coroutine_threadsafe(turn.put(None), loop).result()
                asyncio.run_coroutine_threadsafe(done.get(), loop).result()
        baseline.join()
        loop.close()
        if governed_answers != direct_answers or len(governed_answers) != 1 or "service-3" not in governed_answers.pop():
            print("the two sides answered differently", file=sys.stderr)
            return 1
        if sum(kind == "mcp_tool_call" for kind, _ in events) != args.calls * args.rounds + 1:
            print("the governed side did not record every call as a live event", file=sys.stderr)
            return 1
        report_ratio("mcp_tool_call", governed_times, direct_times, 1.2, "calls", labels=("governed", "direct"))
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
