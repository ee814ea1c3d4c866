"""Root commands for squad threads: `run`, `threads`, `show`, `approve`, `edit`, `reject` (all via langgraph-sdk)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.table import Table

from fractalops.cli.commands._client import ASSISTANT, JsonFlag, call, console, emit_json, fail, sdk

__all__ = ["ROOT", "register"]

ROOT = True


def _pending(thread_id: str, as_json: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    state = call(sdk().threads.get_state, thread_id, as_json=as_json)
    interrupts = state.get("interrupts") or []
    if not interrupts:
        fail(f"thread {thread_id} is not waiting for a decision (next: {state.get('next') or 'nothing'})", as_json)
    request = interrupts[0]["value"]
    if not isinstance(request, dict) or not request.get("action_requests"):
        fail(f"thread {thread_id} is interrupted with a value this CLI does not understand: {str(request)[:200]}", as_json)
    return state, request["action_requests"]


def _assistant_of(thread_id: str, as_json: bool) -> str:
    """The graph a thread runs (`squad`, `steward`, ...): resumes must go to the same one."""
    metadata = call(sdk().threads.get, thread_id, as_json=as_json).get("metadata") or {}
    return str(metadata.get("assistant_id") or metadata.get("graph_id") or ASSISTANT)


def _resume(thread_id: str, decisions: list[dict[str, Any]], as_json: bool) -> dict[str, Any]:
    client = sdk()
    run = call(client.runs.create, thread_id, _assistant_of(thread_id, as_json),
               command={"resume": {"decisions": decisions}}, as_json=as_json)
    call(client.runs.join, thread_id, run["run_id"], as_json=as_json)
    state = call(client.threads.get_state, thread_id, as_json=as_json)
    hud = call(client.http.get, f"/threads/{thread_id}/hud", as_json=as_json)
    values = state.get("values") or {}
    outcome = {
        "thread_id": thread_id,
        "run_id": run["run_id"],
        "refused": values.get("gate_note") or None,
        "waiting": bool(state.get("interrupts")),
        "hud": hud,
    }
    if as_json:
        emit_json(outcome)
    else:
        _print_hud(hud)
        if outcome["refused"]:
            console.print(f"[bold red]decision refused:[/] {outcome['refused']}")
    if outcome["refused"]:
        raise typer.Exit(1)
    return outcome


def _print_hud(hud: dict[str, Any]) -> None:
    table = Table.grid(padding=(0, 2))
    for key in ("intent", "route", "launch_action", "proof_path", "recovery_rule", "completion_proof", "live_signal", "continuity"):
        table.add_row(f"[bold]{key}[/]", str(hud.get(key, "")))
    console.print(Panel(table, title="Agent HUD", expand=False))


def _read_changes(changes: list[str], changes_file: Path | None) -> list[dict[str, str]]:
    result: list[dict[str, str]] = []
    if changes_file:
        loaded = json.loads(changes_file.read_text())
        if not isinstance(loaded, list):
            raise typer.BadParameter(f"{changes_file} must hold a JSON list of {{path, content}}")
        result.extend(loaded)
    for item in changes:
        rel, sep, local = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--change takes REL_PATH=LOCAL_FILE, got {item!r}")
        result.append({"path": rel, "content": Path(local).read_text()})
    return result


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        intent: Annotated[str, typer.Argument(help="What the squad should do.")],
        workspace: Annotated[Path | None, typer.Option(help="Target git repo (a path on the server).")] = None,
        change: Annotated[list[str], typer.Option(help="REL_PATH=LOCAL_FILE: a file forge should write.")] = [],  # noqa: B006
        changes_file: Annotated[Path | None, typer.Option(help='JSON list of {"path", "content"}.')] = None,
        pack: Annotated[list[str], typer.Option(help="Extension pack to enable (repeatable).")] = [],  # noqa: B006
        bind: Annotated[list[str], typer.Option(help="AGENT=ASSET_OR_ROLE binding (repeatable).")] = [],  # noqa: B006
        thread: Annotated[str | None, typer.Option(help="Resume this thread instead of starting a fresh one.")] = None,
        wait: Annotated[bool, typer.Option(help="Wait for the run to stop (done or waiting for approval).")] = True,
        as_json: JsonFlag = False,
    ) -> None:
        """Launch the squad on a fresh thread (or `--thread ID` to resume one)."""
        client = sdk()
        payload: dict[str, Any] = {"intent": intent}
        if workspace:
            payload["workspace"] = str(workspace.resolve())
        if changes := _read_changes(change, changes_file):
            payload["changes"] = changes
        bindings = dict(b.split("=", 1) for b in bind if "=" in b)
        config = {"configurable": {"packs": pack, "bindings": bindings}}
        thread_id = thread or call(client.threads.create, as_json=as_json)["thread_id"]
        created = call(client.runs.create, thread_id, ASSISTANT, input=payload, config=config, as_json=as_json)
        if wait:
            call(client.runs.join, thread_id, created["run_id"], as_json=as_json)
        _show(thread_id, as_json)

    @app.command()
    def threads(as_json: JsonFlag = False) -> None:
        """Threads you may see, with status, current agent, pending approvals and live signal."""
        rows = call(sdk().http.get, "/projection", as_json=as_json)["threads"]
        if as_json:
            emit_json(rows)
            return
        table = Table("thread", "status", "agent", "pending", "live signal", title="harness-projection")
        for r in rows:
            table.add_row(r["thread_id"], r["status"], r["current_agent"], str(r["pending_approvals"]), r["live_signal"])
        console.print(table)

    def _show(thread_id: str, as_json: bool) -> None:
        client = sdk()
        hud = call(client.http.get, f"/threads/{thread_id}/hud", as_json=as_json)
        state = call(client.threads.get_state, thread_id, as_json=as_json)
        pending = [
            {"name": a["name"], **{k: a["args"].get(k) for k in ("proposal_id", "content_hash", "approval_class", "files", "missing")
                                   if k in a["args"]}, "description": a.get("description", "")}
            for i in state.get("interrupts") or [] for a in (i.get("value") or {}).get("action_requests", [])
        ]
        if as_json:
            emit_json({"thread_id": thread_id, "hud": hud, "pending": pending})
            return
        console.print(f"thread [bold]{thread_id}[/]")
        _print_hud(hud)
        if pending:
            table = Table("action", "proposal", "class", "files", title="waiting for your decision")
            for p in pending:
                table.add_row(p["name"], str(p.get("proposal_id", "")), str(p.get("approval_class", "")),
                              ", ".join(p.get("files") or p.get("missing") or []))
            console.print(table)
            console.print(f"decide with: fractalops approve {thread_id} | reject {thread_id} --message ... | "
                          f"edit {thread_id} --file PATCH")

    @app.command()
    def show(thread_id: str, as_json: JsonFlag = False) -> None:
        """The thread's HUD and what is waiting for approval."""
        _show(thread_id, as_json)

    @app.command()
    def resume(thread_id: str, as_json: JsonFlag = False) -> None:
        """Continue a thread from its last checkpoint (e.g. after a crash or restart)."""
        client = sdk()
        state = call(client.threads.get_state, thread_id, as_json=as_json)
        if state.get("interrupts"):
            fail(f"thread {thread_id} is waiting for a decision: use approve / reject / edit", as_json)
        if not state.get("next"):
            fail(f"thread {thread_id} has nothing left to run; launch new work with `fractalops run --thread`", as_json)
        created = call(client.runs.create, thread_id, _assistant_of(thread_id, as_json), input=None, as_json=as_json)
        call(client.runs.join, thread_id, created["run_id"], as_json=as_json)
        _show(thread_id, as_json)

    @app.command()
    def approve(thread_id: str, as_json: JsonFlag = False) -> None:
        """Approve every action waiting on the thread (each approval binds to the hash you were shown)."""
        _, actions = _pending(thread_id, as_json)
        _resume(thread_id, [{"type": "approve"} for _ in actions], as_json)

    @app.command()
    def reject(
        thread_id: str,
        message: Annotated[str, typer.Option("--message", "-m", help="Why; carried back to the proposing agent.")],
        as_json: JsonFlag = False,
    ) -> None:
        """Reject every action waiting on the thread."""
        _, actions = _pending(thread_id, as_json)
        _resume(thread_id, [{"type": "reject", "message": message} for _ in actions], as_json)

    @app.command()
    def edit(
        thread_id: str,
        file: Annotated[Path, typer.Option("--file", "-f", help="The edited unified diff (git diff format).")],
        proposal: Annotated[str | None, typer.Option(help="Which proposal, when several are waiting.")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Replace a proposal's diff; the new content hash goes back to review."""
        _, actions = _pending(thread_id, as_json)
        ids = [a["args"].get("proposal_id") for a in actions]
        if proposal is None and len(actions) > 1:
            fail(f"{len(actions)} proposals are waiting ({', '.join(map(str, ids))}); name one with --proposal", as_json)
        target = proposal or ids[0]
        if target not in ids:
            fail(f"proposal {target} is not waiting on thread {thread_id}; waiting: {', '.join(map(str, ids))}", as_json)
        if len(actions) > 1:
            fail("decide the other waiting proposals first (approve/reject), then edit this one", as_json)
        action = actions[ids.index(target)]
        edited = {"name": action["name"], "args": {**action["args"], "diff": file.read_text()}}
        _resume(thread_id, [{"type": "edit", "edited_action": edited}], as_json)
