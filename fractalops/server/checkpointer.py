"""Durable LangGraph checkpoints for the server: SQLite under the data dir (`langgraph.json` `checkpointer`).

The dev runtime keeps thread records in memory and pickles them under `./.langgraph_api/` every ~10 s and on
SIGTERM; checkpoints written here are durable at every step. So after a SIGKILL, a thread created in the last
seconds may be missing from the thread list, but its checkpoints, and every proposal, event and key in the data
dir, survive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from fractalops.settings import data_dir

__all__ = ["create_checkpointer", "checkpoint_path"]


def checkpoint_path() -> str:
    return str(data_dir() / "checkpoints.sqlite")


@asynccontextmanager
async def create_checkpointer() -> AsyncIterator[AsyncSqliteSaver]:
    async with AsyncSqliteSaver.from_conn_string(checkpoint_path()) as saver:
        await saver.setup()
        yield saver
