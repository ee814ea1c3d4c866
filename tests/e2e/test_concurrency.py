"""100 concurrent launches through the SDK: each gets its own proposal and its own applied commit.

Nothing lost, nothing shared: every thread's interrupt shows a proposal id no other thread shows, the Proposal
Plane lists exactly that proposal for the thread, and after approval its repo holds exactly one commit carrying that
id and the content that thread asked for.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from langgraph_sdk import get_client

from tests.conftest import make_git_repo
from tests.e2e.conftest import Server

pytestmark = pytest.mark.server

LAUNCHES = 100


async def _journey(client, repo: Path, i: int) -> tuple[str, str]:
    thread = (await client.threads.create())["thread_id"]
    run = await client.runs.create(thread, "squad", input={
        "intent": f"concurrent change {i}", "workspace": str(repo),
        "changes": [{"path": "src/m.py", "content": f"X = {i}\n"}]})
    await client.runs.join(thread, run["run_id"])
    interrupts = (await client.threads.get_state(thread))["interrupts"]
    assert len(interrupts) == 1, (i, interrupts)
    proposal_id = interrupts[0]["value"]["action_requests"][0]["args"]["proposal_id"]
    run = await client.runs.create(thread, "squad", command={"resume": {"decisions": [{"type": "approve"}]}})
    await client.runs.join(thread, run["run_id"])
    return thread, proposal_id


async def _all(server: Server, repos: list[Path]) -> list[tuple[str, str]]:
    client = get_client(url=server.url, api_key="key-alice", timeout=600)
    return await asyncio.gather(*(_journey(client, repo, i) for i, repo in enumerate(repos)))


@pytest.mark.timeout(900)
def test_hundred_concurrent_launches_each_get_their_own_proposal_and_commit(server: Server, tmp_path: Path) -> None:
    repos = [make_git_repo(tmp_path / f"repo-{i}") for i in range(LAUNCHES)]
    results = asyncio.run(_all(server, repos))
    ids = [pid for _, pid in results]
    assert len(set(ids)) == LAUNCHES, f"shared proposal ids: {[p for p, n in Counter(ids).items() if n > 1]}"
    client = server.client()
    for i, ((thread, pid), repo) in enumerate(zip(results, repos, strict=True)):
        listed = [p["id"] for p in client.http.get(f"/proposals?thread_id={thread}")["proposals"]]
        assert listed == [pid], (i, listed, pid)
        log = subprocess.run(["git", "-C", str(repo), "log", "--format=%B%x00"], capture_output=True, text=True,
                             check=True).stdout
        assert log.count("Fractalops-Proposal: ") == 1 and f"Fractalops-Proposal: {pid}\n" in log, (i, log)
        assert (repo / "src/m.py").read_text() == f"X = {i}\n"
