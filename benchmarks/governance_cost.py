"""What governance costs: one governed change through the squad in-process vs the graph a user would write by hand.

Both sides make the same change (one new file) in the same kind of fresh repo with the same checkpointer
(`InMemorySaver`), on a fresh thread per change, timed from launch to the applied commit:
- squad: `build_squad()` from launch through sentinel's classification, the gate's interrupt, approve (resume as an
  authenticated approver), relay's apply, lineage, and proof closed (the HUD's completion proof reads `closed: ...`),
  with forge on its Armory default (`workspace.default`, a builder process) and, as a second line, bound to `native`
  (the in-process builder), which shows what the asset's process costs;
- minimal: three nodes, no proof, no stores: `propose` writes the change in a `git worktree` of the target and takes
  `git diff --cached --binary`, `review` calls `interrupt()`, `apply` runs `git apply --index` and `git commit`.

The ratio has no target yet; it is measured so that one can be set. Where the squad's time goes is measured in
separate, interleaved rounds of an instrumented squad graph: `build_squad` is built with a node factory that times
the real node with `time.perf_counter`, and, for those rounds only, the step wrapper's HUD compile/fold and
`LiveOutbox.record` and the asset's `run_process` are timed the same way, so each node's HUD, outbox and asset
process time is split out of its own (and git processes started are counted per node). That adds
a few clock reads per node (well under a microsecond each, against nodes of milliseconds) and the instrumented
median is printed beside the plain one, so any distortion shows. Not used: `stream_mode="updates"` timestamps (they
charge checkpoint writes and scheduling to the next node and cannot split a node's HUD or outbox work out) and a
callback handler (LangChain's callback manager then tracks every nested runnable of every node, which is itself
overhead of the size being measured). Whatever is not inside a node is LangGraph's own share: checkpoints,
scheduling, channel updates.

Also printed: the first change in a fresh data dir (opening the proposal store, outbox, chdb warehouse, RDF graph
and Chronicle log), which steady-state rounds do not pay. A functional failure exits non-zero; no timing does.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_core.runnables import RunnableConfig  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402
from langgraph.runtime import Runtime  # noqa: E402
from langgraph.types import Command, interrupt  # noqa: E402

from benchmarks._ratio import report_ratio  # noqa: E402
from benchmarks.squad_overhead import _repo  # noqa: E402
from fractalops.adapters import run as adapter_run_module  # noqa: E402
from fractalops.graphs import squad as squad_module  # noqa: E402
from fractalops.hud import compile_hud  # noqa: E402
from fractalops.planes.live import LiveOutbox  # noqa: E402
from fractalops.planes.warehouse import close_warehouse  # noqa: E402
from fractalops.runtime import resources as resources_module  # noqa: E402
from fractalops.runtime import step as step_module  # noqa: E402

USER = {"identity": "bench", "roles": ["operator", "approver"]}
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "12"))
FILE = "src/m.py"
APPROVE = Command(resume={"decisions": [{"type": "approve"}]})
NATIVE_FORGE = {"forge": "native"}
"""The in-process builder; without a binding forge runs the Armory default, `workspace.default`, as a process."""

STAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "launch_hud": ("launch/HUD (atlas, sentinel_launch, mercury, ontos_identity, signal, every HUD compile)",
                   ("atlas", "sentinel_launch", "mercury", "ontos_identity", "signal", "hud")),
    "build_asset": ("build: the bound asset's process (forge's default `workspace.default`, a Python child)",
                    ("adapter",)),
    "build": ("build: the rest of forge (worktree, diff, payload, proposal record)", ("forge",)),
    "classify": ("classify (sentinel_review: constitution)", ("sentinel_review",)),
    "gate": ("gate (interrupt, decision, approvers rule)", ("gate",)),
    "apply": ("apply (relay: git apply + commit)", ("relay",)),
    "lineage": ("lineage (ontos_lineage: RDF/SHACL)", ("ontos_lineage",)),
    "proof": ("proof (ledger: Chronicle + warehouse + verify)", ("ledger",)),
    "outbox": ("live outbox (every step's events + projection)", ("outbox",)),
    "langgraph": ("LangGraph (checkpoints, scheduling, channels)", ("langgraph",)),
}
"""Stage -> (label, the nodes whose own time it is or the cross-cutting parts: `hud`, `outbox`, `adapter`, `langgraph`)."""


class MinimalState(TypedDict, total=False):
    repo: str
    changes: list[dict[str, str]]
    diff: str
    approved: bool
    commit: str


def _git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], input=stdin, capture_output=True, text=True,
                          check=True).stdout


def _propose(state: MinimalState) -> dict[str, Any]:
    repo = Path(state["repo"])
    with tempfile.TemporaryDirectory(prefix="fo-minimal-") as tmp:
        ws = Path(tmp) / "ws"
        _git(repo, "worktree", "add", "-q", "--detach", str(ws), "HEAD")
        try:
            for change in state["changes"]:
                (ws / change["path"]).parent.mkdir(parents=True, exist_ok=True)
                (ws / change["path"]).write_text(change["content"])
            _git(ws, "add", "-A")
            diff = _git(ws, "diff", "--cached", "--binary", "HEAD")
        finally:
            _git(repo, "worktree", "remove", "--force", str(ws))
    return {"diff": diff}


def _review(state: MinimalState) -> dict[str, Any]:
    answer = interrupt({"diff": state["diff"]})
    return {"approved": answer["decisions"][0]["type"] == "approve"}


def _apply(state: MinimalState) -> dict[str, Any]:
    if not state.get("approved"):
        return {}
    repo = Path(state["repo"])
    _git(repo, "apply", "--index", "-", stdin=state["diff"])
    _git(repo, "-c", "user.name=bench", "-c", "user.email=bench@bench", "commit", "-q", "-m", "bench change")
    return {"commit": _git(repo, "rev-parse", "HEAD").strip()}


def build_minimal(wrap: Callable[[str, Callable[[Any], Any]], Callable[[Any], Any]] | None = None) -> StateGraph:
    """The hand-written HITL change graph: make the diff, interrupt for approval, apply and commit."""
    builder = StateGraph(MinimalState)
    for name, fn in (("propose", _propose), ("review", _review), ("apply", _apply)):
        builder.add_node(name, wrap(name, fn) if wrap else fn)
    builder.add_edge(START, "propose")
    builder.add_edge("propose", "review")
    builder.add_edge("review", "apply")
    builder.add_edge("apply", END)
    return builder


class StageClock:
    """Seconds per (node, part): part `self` is the node's whole run, `hud` and `outbox` the slices inside it; and
    the git processes each node started (process starts dominate several stages on a small machine)."""

    def __init__(self) -> None:
        self.node = ""
        self.spent: dict[tuple[str, str], float] = defaultdict(float)
        self.gits: dict[str, int] = defaultdict(int)

    def reset(self, node: str = "") -> None:
        self.node = node
        self.spent.clear()
        self.gits.clear()

    def popen_counter(self, real: Callable[..., None]) -> Callable[..., None]:
        def init(popen: subprocess.Popen, args: Any, *rest: Any, **kwargs: Any) -> None:
            if isinstance(args, list | tuple) and args and Path(str(args[0])).name == "git":
                self.gits[self.node] += 1
            real(popen, args, *rest, **kwargs)

        return init

    def node_factory(self, real: Callable[[Any], Callable[..., Any]]) -> Callable[[Any], Callable[..., Any]]:
        """Wraps `runtime.agent_node`: same typed signature, so LangGraph injects config and runtime as before."""

        def make(spec: Any) -> Callable[..., Any]:
            inner = real(spec)

            def node(state: dict[str, Any], config: RunnableConfig, runtime: Runtime) -> dict[str, Any]:
                self.node, start = spec.name, time.perf_counter()
                try:
                    return inner(state, config, runtime)
                finally:  # the gate's first pass leaves by its interrupt
                    self.spent[spec.name, "self"] += time.perf_counter() - start
                    self.node = ""  # outside any node: repo setup and checks are not counted

            node.__name__ = spec.name
            return node

        return make

    def part(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.spent[self.node, name] += time.perf_counter() - start

        return timed

    def stages(self, wall: float) -> dict[str, float]:
        """This journey's seconds per stage (node time net of its HUD and outbox slices); they sum to `wall`."""
        parts: dict[str, float] = defaultdict(float)
        for (node, part), seconds in self.spent.items():
            parts[node if part == "self" else part] += seconds
            if part != "self":
                parts[node] -= seconds
        parts["langgraph"] = wall - sum(s for (_, part), s in self.spent.items() if part == "self")
        return {stage: sum(parts.get(k, 0.0) for k in keys) for stage, (_, keys) in STAGES.items()}

    def nodes(self) -> dict[str, dict[str, float]]:
        table: dict[str, dict[str, float]] = defaultdict(
            lambda: {"self": 0.0, "hud": 0.0, "outbox": 0.0, "adapter": 0.0, "git": 0})
        for (node, part), seconds in self.spent.items():
            table[node][part] += seconds
        for node, count in self.gits.items():
            if node:
                table[node]["git"] = count
        for row in table.values():
            row["own"] = row["self"] - row["hud"] - row["outbox"] - row["adapter"]
        return dict(table)

    def tagged(self, name: str, real: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """A plain `node(state)` whose git processes count under `name` (for the minimal graph)."""

        def node(state: Any) -> Any:
            self.node = name
            try:
                return real(state)
            finally:
                self.node = ""

        return node


def _failure(what: str) -> SystemExit:
    return SystemExit(f"FUNCTIONAL FAILURE (governance_cost): {what}")


def _change(root: Path, i: int) -> tuple[Path, list[dict[str, str]]]:
    return _repo(root / f"repo-{uuid.uuid4().hex[:8]}"), [{"path": FILE, "content": f"X = {i}\n"}]


def _check_applied(repo: Path, changes: list[dict[str, str]], who: str) -> None:
    if (repo / FILE).read_text() != changes[0]["content"] or _git(repo, "status", "--porcelain"):
        raise _failure(f"{who}: the change was not committed as asked in {repo}")


def _squad_change(graph: Any, root: Path, i: int, **configurable: Any) -> float:
    repo, changes = _change(root, i)
    config = {"configurable": {"thread_id": str(uuid.uuid4()), "langgraph_auth_user": USER, **configurable}}
    start = time.perf_counter()
    result = graph.invoke({"intent": "bench change", "workspace": str(repo), "changes": changes}, config)
    if len(result.get("__interrupt__") or []) != 1:
        raise _failure("squad: expected exactly one approval interrupt")
    graph.invoke(APPROVE, config)
    elapsed = time.perf_counter() - start
    _check_applied(repo, changes, "squad")
    proof = compile_hud(graph.get_state(config).values["summary"], resumed=False).hud.completion_proof
    if not proof.startswith("closed:"):
        raise _failure(f"squad: the HUD's completion proof is {proof!r}, not closed")
    return elapsed


def _minimal_change(graph: Any, root: Path, i: int) -> float:
    repo, changes = _change(root, i)
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    start = time.perf_counter()
    result = graph.invoke({"repo": str(repo), "changes": changes}, config)
    if len(result.get("__interrupt__") or []) != 1:
        raise _failure("minimal: expected exactly one approval interrupt")
    graph.invoke(APPROVE, config)
    elapsed = time.perf_counter() - start
    _check_applied(repo, changes, "minimal")
    return elapsed


def _use_data_dir(path: Path) -> None:
    os.environ["FRACTALOPS_DATA_DIR"] = str(path)
    resources_module._open.cache_clear()


def _print_breakdown(stage_runs: list[dict[str, float]], node_runs: list[dict[str, dict[str, float]]],
                     instrumented: list[float], plain: list[float], minimal_gits: int) -> None:
    medians = {stage: statistics.median(run[stage] for run in stage_runs) for stage in STAGES}
    total = sum(medians.values())
    print(f"\nwhere the squad's time goes (median per stage over {len(stage_runs)} instrumented changes;"
          f" instrumented total median {statistics.median(instrumented) * 1000:.1f} ms vs plain"
          f" {statistics.median(plain) * 1000:.1f} ms):")
    for stage, seconds in medians.items():
        print(f"  {STAGES[stage][0]:<88} {seconds * 1000:8.1f} ms  {seconds / total:6.1%}")
    print(f"  {'sum of stage medians':<88} {total * 1000:8.1f} ms")
    print("\nper node (median ms per change; a node's own time excludes its HUD, outbox and asset-process slices):")
    print(f"  {'node':<16} {'own':>8} {'hud':>8} {'outbox':>8} {'asset':>8} {'git procs':>10}")
    gits = 0
    for node in node_runs[0]:
        row = {part: statistics.median(run.get(node, {}).get(part, 0.0) for run in node_runs) * 1000
               for part in ("own", "hud", "outbox", "adapter")}
        count = int(statistics.median(run.get(node, {}).get("git", 0) for run in node_runs))
        gits += count
        print(f"  {node:<16} {row['own']:8.2f} {row['hud']:8.2f} {row['outbox']:8.2f} {row['adapter']:8.2f} {count:10d}")
    print(f"git processes per change: squad {gits}, minimal {minimal_gits}")
    print(json.dumps({"benchmark": "governance_cost_stages", "git_processes": {"squad": gits, "minimal": minimal_gits},
                      "stages_ms": {stage: round(s * 1000, 2) for stage, s in medians.items()}}))


def main() -> None:
    clock = StageClock()
    with tempfile.TemporaryDirectory(prefix="fo-gov-bench-") as tmp:
        root = Path(tmp)
        _use_data_dir(root / "data")
        squad = squad_module.build_squad().compile(checkpointer=InMemorySaver())
        with mock.patch.object(squad_module, "agent_node", clock.node_factory(squad_module.agent_node)):
            timed_squad = squad_module.build_squad().compile(checkpointer=InMemorySaver())
        minimal = build_minimal().compile(checkpointer=InMemorySaver())
        instrument = [mock.patch.object(step_module, "compile_hud", clock.part("hud", step_module.compile_hud)),
                      mock.patch.object(step_module, "observe", clock.part("hud", step_module.observe)),
                      mock.patch.object(LiveOutbox, "record", clock.part("outbox", LiveOutbox.record)),
                      mock.patch.object(adapter_run_module, "run_process",
                                        clock.part("adapter", adapter_run_module.run_process)),
                      mock.patch.object(subprocess.Popen, "__init__", clock.popen_counter(subprocess.Popen.__init__))]

        def timed_change(i: int) -> tuple[float, dict[str, float], dict[str, dict[str, float]]]:
            clock.reset()
            for patch in instrument:
                patch.start()
            try:
                wall = _squad_change(timed_squad, root, i)
            finally:
                for patch in instrument:
                    patch.stop()
            return wall, clock.stages(wall), clock.nodes()

        _squad_change(squad, root, -1), _minimal_change(minimal, root, -1), timed_change(-1)  # imports, Rego, caches
        _squad_change(squad, root, -1, bindings=NATIVE_FORGE)
        squad_t, native_t, minimal_t, timed_t, stage_runs, node_runs = [], [], [], [], [], []
        for i in range(ROUNDS):  # interleaved so machine load hits all four alike
            minimal_t.append(_minimal_change(minimal, root, i))
            squad_t.append(_squad_change(squad, root, i))
            native_t.append(_squad_change(squad, root, i, bindings=NATIVE_FORGE))
            wall, stages, nodes = timed_change(i)
            timed_t.append(wall), stage_runs.append(stages), node_runs.append(nodes)
        clock.reset()
        with instrument[-1]:
            _minimal_change(build_minimal(clock.tagged).compile(checkpointer=InMemorySaver()), root, ROUNDS)
        minimal_gits = sum(n for node, n in clock.gits.items() if node)
        _use_data_dir(root / "data-cold")
        cold = _squad_change(squad, root, ROUNDS)
        close_warehouse()
    report_ratio("governance_cost", squad_t, minimal_t, None, "changes", labels=("squad", "minimal"))
    native, minimal_median = statistics.median(native_t), statistics.median(minimal_t)
    print(f"squad with forge bound to `native` (in-process builder, no asset process): median {native * 1000:.1f} ms"
          f" = {native / minimal_median:.3f}x minimal")
    print(json.dumps({"benchmark": "governance_cost_native_forge", "squad_ms": round(native * 1000, 1),
                      "minimal_ms": round(minimal_median * 1000, 1), "ratio": round(native / minimal_median, 3),
                      "target": None, "rounds": len(native_t)}))
    print(f"first squad change in a fresh data dir (opens every store and plane): {cold * 1000:.1f} ms"
          f" = {cold / statistics.median(minimal_t):.2f}x the minimal graph's median")
    _print_breakdown(stage_runs, node_runs, timed_t, squad_t, minimal_gits)


if __name__ == "__main__":
    main()
