"""Concurrent SDK journeys through one `langgraph dev`: squad vs the bare graph's throughput under 50 parallel runs.

Each round launches N journeys at once (launch -> join -> gate interrupt -> approve -> join -> applied), every one on
its own fresh thread and its own fresh git repo, all against the same assistant. Rounds alternate bare, squad, squad,
bare (ABBA) so the shared machine's load drifts hit both alike. The server runs both graphs (a temp `langgraph.json`
adds `bare` beside `squad`) with `--n-jobs-per-worker` >= N, so no journey waits for a worker slot.

Driven by the async `langgraph_sdk.get_client` and `asyncio.gather`: one event loop keeps N requests in flight from a
single driver thread, whereas N sync clients would need N OS threads contending for the GIL on the same 2 cores the
server runs on, and the driver would then measure its own thread scheduling as much as the server.

Throughput is N journeys / wall time of the round (repos are made before the clock starts, checks run after it
stops). Target: squad throughput >= 0.8x bare. Functional check per journey (a failure exits non-zero): its repo has
exactly one commit carrying `Fractalops-Proposal: <the proposal id its interrupt showed>` and holding the content it
asked for; `GET /proposals?thread_id=<its thread>` lists exactly that proposal; no two threads share a proposal id.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langgraph_sdk import get_client  # noqa: E402

from benchmarks._ratio import report_throughput  # noqa: E402
from benchmarks._servers import BENCH_KEY as KEY  # noqa: E402
from benchmarks._servers import squad_and_bare_server  # noqa: E402
from benchmarks.squad_overhead import _repo  # noqa: E402

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "50"))
PAIRS = int(os.environ.get("BENCH_ROUNDS", "1"))
"""Each pair is one ABBA block: two rounds per graph."""
TARGET = 0.8
FILE = "src/m.py"
TRAILER = "Fractalops-Proposal: "


@dataclass
class Journey:
    """One journey's inputs and what the server said about it."""

    assistant: str
    repo: Path
    content: str
    thread: str = ""
    proposal_id: str = ""
    error: str = ""


async def _drive(client, j: Journey) -> None:
    payload = {"intent": "bench change", "workspace": str(j.repo), "changes": [{"path": FILE, "content": j.content}]}
    try:
        j.thread = (await client.threads.create())["thread_id"]
        run = await client.runs.create(j.thread, j.assistant, input=payload)
        await client.runs.join(j.thread, run["run_id"])
        interrupts = (await client.threads.get_state(j.thread))["interrupts"]
        if len(interrupts) != 1:
            j.error = f"expected one approval interrupt, got {len(interrupts)}"
            return
        j.proposal_id = interrupts[0]["value"]["action_requests"][0]["args"]["proposal_id"]
        run = await client.runs.create(j.thread, j.assistant, command={"resume": {"decisions": [{"type": "approve"}]}})
        await client.runs.join(j.thread, run["run_id"])
    except Exception as exc:  # one failed journey is reported with the others, not allowed to hide them
        j.error = f"{type(exc).__name__}: {exc}"


async def _round(client, assistant: str, root: Path, tag: str, n: int = CONCURRENCY) -> tuple[float, list[Journey]]:
    journeys = [Journey(assistant, _repo(root / f"repo-{tag}-{i}-{uuid.uuid4().hex[:6]}"), f"X = {tag!r}, {i}\n")
                for i in range(n)]
    start = time.perf_counter()
    await asyncio.gather(*(_drive(client, j) for j in journeys))
    return time.perf_counter() - start, journeys


def _commits_with(repo: Path, proposal_id: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "log", "--format=%H%x01%B%x00"], capture_output=True, text=True,
                         check=True).stdout
    shas = []
    for record in filter(str.strip, out.split("\x00")):
        sha, _, body = record.strip().partition("\x01")
        if f"{TRAILER}{proposal_id}" in body.splitlines():
            shas.append(sha)
    return shas


def _file_at(repo: Path, sha: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:{FILE}"], capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


async def _problems(client, journeys: list[Journey]) -> list[tuple[str, str, str]]:
    """(kind, thread, detail) for every way a journey's change was lost or shared; empty when all were applied."""
    problems: list[tuple[str, str, str]] = []
    owners = Counter(j.proposal_id for j in journeys if j.proposal_id)
    listed = await asyncio.gather(*(client.http.get("/proposals", params={"thread_id": j.thread})
                                    for j in journeys if j.thread and not j.error))
    by_thread = dict(zip([j.thread for j in journeys if j.thread and not j.error], listed, strict=True))
    for j in journeys:
        where = f"{j.assistant} thread {j.thread or f'? (repo {j.repo.name})'}"
        if j.error:
            problems.append(("journey failed", where, j.error))
            continue
        if owners[j.proposal_id] > 1:
            problems.append(("proposal shared", where, f"{j.proposal_id} is shown to {owners[j.proposal_id]} threads"))
        ids = [p["id"] for p in by_thread[j.thread]["proposals"]]
        if ids != [j.proposal_id]:
            problems.append(("store mismatch", where, f"GET /proposals lists {ids}, expected only {j.proposal_id}"))
        shas = _commits_with(j.repo, j.proposal_id)
        if len(shas) != 1:
            problems.append(("not applied once", where, f"{len(shas)} commits carry {TRAILER}{j.proposal_id}, expected 1"))
        elif (got := _file_at(j.repo, shas[0])) != j.content:
            problems.append(("wrong content", where, f"the commit holds {FILE} = {got!r}, asked for {j.content!r}"))
    return problems


def _summarize(assistant: str, problems: list[tuple[str, str, str]], journeys: int) -> None:
    kinds = Counter(kind for kind, _, _ in problems)
    print(f"FUNCTIONAL FAILURE ({assistant}): {len({w for _, w, _ in problems})} of {journeys} journeys lost or "
          f"shared their change ({', '.join(f'{kind} x{n}' for kind, n in kinds.most_common())}); its throughput "
          "above counts journeys that skipped work, so the ratio is not comparable until this is fixed")
    for kind, where, detail in problems[:8]:
        print(f"  [{kind}] {where}: {detail}")


async def _bench(url: str, root: Path) -> int:
    client = get_client(url=url, api_key=KEY)
    rates: dict[str, list[float]] = {"squad": [], "bare": []}
    failed: dict[str, list[tuple[str, str, str]]] = {"squad": [], "bare": []}
    counted = Counter[str]()
    for assistant in ("squad", "bare"):  # warm-up: imports, Rego compile, caches, the server's first runs
        _, journeys = await _round(client, assistant, root, "warm", 2)
        failed[assistant] += await _problems(client, journeys)
        counted[assistant] += len(journeys)
    order = ["bare", "squad", "squad", "bare"] * PAIRS
    for n, assistant in enumerate(order):
        elapsed, journeys = await _round(client, assistant, root, f"{assistant}{n}")
        rates[assistant].append(CONCURRENCY / elapsed)
        problems = await _problems(client, journeys)
        failed[assistant] += problems
        counted[assistant] += len(journeys)
        print(f"round {n + 1}/{len(order)} {assistant:<5} {CONCURRENCY} journeys in {elapsed:6.2f} s = "
              f"{CONCURRENCY / elapsed:5.2f} journeys/s, {len({w for _, w, _ in problems})} journey(s) lost or shared")
    report_throughput("concurrent_sdk", rates["squad"], rates["bare"], TARGET, "journeys")
    for assistant, problems in failed.items():
        if problems:
            _summarize(assistant, problems, counted[assistant])
    return 1 if any(failed.values()) else 0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fo-conc-bench-") as tmp:
        root = Path(tmp)
        server = squad_and_bare_server(root, jobs_per_worker=max(CONCURRENCY, 10))
        try:
            code = asyncio.run(_bench(server.url, root))
        except BaseException:
            print(f"server log tail:\n{server.tail()}")
            raise
        finally:
            server.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
