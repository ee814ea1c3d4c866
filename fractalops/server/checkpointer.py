"""Durable LangGraph checkpoints for the server: SQLite under the data dir (`langgraph.json` `checkpointer`).

The dev runtime keeps thread records in memory and pickles them under `./.langgraph_api/` every ~10 s and on
SIGTERM; checkpoints written here are durable at every step. So after a SIGKILL, a thread created in the last
seconds may be missing from the thread list, but its checkpoints, and every proposal, event and key in the data
dir, survive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from fractalops.settings import data_dir

__all__ = ["create_checkpointer", "checkpoint_path", "SquadCheckpointer"]


class SquadCheckpointer(AsyncSqliteSaver):
    """`AsyncSqliteSaver` plus what the server needs to delete a run (`DELETE /threads/{id}/runs/{run_id}`,
    `multitask_strategy="rollback"`): the saver itself does not implement `adelete_for_runs`."""

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints each run wrote (their metadata names the run) and those checkpoints' writes."""
        ids = [str(r) for r in run_ids]
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        owned = f"SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints WHERE " \
                f"json_extract(CAST(metadata AS TEXT), '$.run_id') IN ({marks})"
        async with self.lock, self.conn.cursor() as cur:
            await cur.execute(f"DELETE FROM writes WHERE (thread_id, checkpoint_ns, checkpoint_id) IN ({owned})", ids)
            await cur.execute(f"DELETE FROM checkpoints WHERE (thread_id, checkpoint_ns, checkpoint_id) IN ({owned})",
                              ids)
            await self.conn.commit()


def checkpoint_path() -> str:
    return str(data_dir() / "checkpoints.sqlite")


@asynccontextmanager
async def create_checkpointer() -> AsyncIterator[AsyncSqliteSaver]:
    async with SquadCheckpointer.from_conn_string(checkpoint_path()) as saver:
        await saver.setup()
        yield saver
