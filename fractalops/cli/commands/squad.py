"""Root commands for squad threads: `run`, `threads`, `show`, `resume`, `approve`, `reject`, `edit`.

Threads, runs and state go through `langgraph-sdk`; the HUD and the thread list through the server's own routes.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import ASSISTANT, CliError, JsonFlag, call, emit_json, sdk, server

if TYPE_CHECKING:
    from langgraph_sdk.client import SyncLangGraphClient

__all__ = ["app"]

app = typer.Typer()

_HUD_FIELDS = ("intent", "route", "launch_action", "proof_path", "recovery_rule", "completion_proof", "live_signal",
               "continuity")
_PENDING_ARGS = ("proposal_id", "content_hash", "approval_class", "files", "missing")


def pending_actions(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The HITL action requests a thread's state is waiting on."""
    return [a for i in state.get("interrupts") or [] for a in (i.get("value") or {}).get("action_requests", [])]


def _task_error(text: str) -> tuple[str, str]:
    """`ConfigError("...")` (how the server records a failed task) -> ("ConfigError", "...")."""
    if match := re.fullmatch(r"(\w+)\((.*)\)", text, flags=re.DOTALL):
        try:
            message = ast.literal_eval(match.group(2))
        except (ValueError, SyntaxError):
            return match.group(1), match.group(2)
        return match.group(1), str(message)
    return "RunError", text


def join(client: SyncLangGraphClient, thread_id: str, run_id: str) -> None:
    """Wait for a run; a failed run is an error naming what failed (the server keeps the message on the task)."""
    result = call(client.runs.join, thread_id, run_id)
    failed = result.get("__error__") if isinstance(result, dict) else None
    if not failed:
        return
    errors = [t["error"] for t in call(client.threads.get_state, thread_id).get("tasks") or [] if t.get("error")]
    kind, message = _task_error(errors[0]) if errors else (str(failed.get("error") or "RunError"),
                                                           str(failed.get("message") or "the run failed"))
    raise CliError(f"the run on thread {thread_id} failed: {message}", error_type=kind, thread_id=thread_id)


def _pending(client: SyncLangGraphClient, thread_id: str) -> list[dict[str, Any]]:
    state = call(client.threads.get_state, thread_id)
    interrupts = state.get("interrupts") or []
    if not interrupts:
        raise CliError(f"thread {thread_id} is not waiting for a decision (next: {state.get('next') or 'nothing'})")
    request = interrupts[0]["value"]
    if not isinstance(request, dict) or not request.get("action_requests"):
        raise CliError(f"thread {thread_id} is interrupted with a value this CLI does not understand: "
                       f"{str(request)[:200]}")
    return list(request["action_requests"])


def _assistant_of(client: SyncLangGraphClient, thread_id: str) -> str:
    """The graph a thread runs (`squad`, `steward`, ...): resumes must go to the same one."""
    metadata = call(client.threads.get, thread_id).get("metadata") or {}
    return str(metadata.get("assistant_id") or metadata.get("graph_id") or ASSISTANT)


def print_hud(hud: dict[str, Any]) -> None:
    out.fields([(key, hud.get(key, "")) for key in _HUD_FIELDS], title="Agent HUD")


def _resume(client: SyncLangGraphClient, thread_id: str, decisions: list[dict[str, Any]], as_json: bool) -> None:
    run = call(client.runs.create, thread_id, _assistant_of(client, thread_id),
               command={"resume": {"decisions": decisions}})
    join(client, thread_id, run["run_id"])
    state = call(client.threads.get_state, thread_id)
    hud = server().get(f"/threads/{thread_id}/hud")
    refused = (state.get("values") or {}).get("gate_note") or None
    outcome = {"thread_id": thread_id, "run_id": run["run_id"], "refused": refused,
               "waiting": bool(state.get("interrupts")), "hud": hud}
    if as_json:
        emit_json(outcome)
    else:
        print_hud(hud)
        if refused:
            out.echo(f"decision refused: {refused}", style="bold red")
    if refused:
        raise typer.Exit(1)


def _read_changes(changes: list[str], changes_file: Path | None) -> list[dict[str, str]]:
    result: list[dict[str, str]] = []
    if changes_file:
        try:
            loaded = json.loads(changes_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"{changes_file} is not a readable JSON file: {exc}",
                                     param_hint="--changes-file") from None
        if not isinstance(loaded, list) or not all(isinstance(c, dict) for c in loaded):
            raise typer.BadParameter(f"{changes_file} must hold a JSON list of {{path, content}}",
                                     param_hint="--changes-file")
        result.extend(loaded)
    for item in changes:
        rel, sep, local = item.partition("=")
        if not sep or not rel or not local:
            raise typer.BadParameter(f"takes REL_PATH=LOCAL_FILE, got {item!r}", param_hint="--change")
        try:
            content = Path(local).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise typer.BadParameter(f"{item}: cannot read {local}: {reason}", param_hint="--change") from None
        result.append({"path": rel, "content": content})
    return result


def _bindings(bind: list[str]) -> dict[str, str]:
    pairs = [b.partition("=") for b in bind]
    if bad := [b for b, (agent, sep, asset) in zip(bind, pairs, strict=True) if not (agent and sep and asset)]:
        raise typer.BadParameter(f"takes AGENT=ASSET_OR_ROLE, got {bad[0]!r}", param_hint="--bind")
    return {agent: asset for agent, _, asset in pairs}


@app.command()
def run(
    intent: Annotated[str, typer.Argument(metavar="INTENT", help="What the squad should do.")],
    workspace: Annotated[Path | None, typer.Option(metavar="DIR", help="Target git repo (a path on the server).")] = None,
    change: Annotated[list[str] | None, typer.Option(metavar="REL_PATH=LOCAL_FILE",
                                                     help="A file forge should write (repeatable).")] = None,
    changes_file: Annotated[Path | None, typer.Option(metavar="FILE", help='JSON list of {"path", "content"}.')] = None,
    pack: Annotated[list[str] | None, typer.Option(metavar="PACK", help="Extension pack to enable (repeatable).")] = None,
    bind: Annotated[list[str] | None, typer.Option(metavar="AGENT=ASSET", help="Bind an agent to an Armory asset or "
                                                   "role (repeatable).")] = None,
    thread: Annotated[str | None, typer.Option(metavar="THREAD_ID", help="Resume this thread instead of starting a "
                                               "fresh one.")] = None,
    observe: Annotated[bool, typer.Option("--observe", help="Read-only: look and report, build nothing "
                                          '(the input\'s "mode": "observe").')] = False,
    wait: Annotated[bool, typer.Option(help="Wait for the run to stop (done or waiting for approval).")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Launch the squad on a fresh thread (or `--thread ID` to resume one)."""
    payload: dict[str, Any] = {"intent": intent}
    if observe:
        payload["mode"] = "observe"
    if workspace:
        payload["workspace"] = str(workspace.resolve())
    if changes := _read_changes(change or [], changes_file):
        payload["changes"] = changes
    config = {"configurable": {"packs": pack or [], "bindings": _bindings(bind or [])}}
    client = sdk()
    thread_id = thread or call(client.threads.create)["thread_id"]
    created = call(client.runs.create, thread_id, ASSISTANT, input=payload, config=config)
    if wait:
        join(client, thread_id, created["run_id"])
    _show(thread_id, as_json)


@app.command()
def threads(as_json: JsonFlag = False) -> None:
    """Threads you may see, with status, current agent, pending approvals and live signal."""
    rows = server().get("/projection")["threads"]
    if as_json:
        emit_json(rows)
        return
    out.table(["thread", "status", "agent", "pending", "live signal"],
              [(r["thread_id"], r["status"], r["current_agent"], r["pending_approvals"], r["live_signal"])
               for r in rows])


def _show(thread_id: str, as_json: bool) -> None:
    hud = server().get(f"/threads/{thread_id}/hud")
    state = call(sdk().threads.get_state, thread_id)
    pending = [{"name": a["name"], **{k: a["args"][k] for k in _PENDING_ARGS if k in a["args"]},
                "description": a.get("description", "")} for a in pending_actions(state)]
    if as_json:
        emit_json({"thread_id": thread_id, "hud": hud, "pending": pending})
        return
    out.echo(f"thread {thread_id}", style="bold")
    print_hud(hud)
    if pending:
        out.table(["action", "proposal", "class", "files"],
                  [(p["name"], p.get("proposal_id", ""), p.get("approval_class", ""),
                    ", ".join(p.get("files") or p.get("missing") or [])) for p in pending],
                  title="waiting for your decision")
        out.echo(f"decide with: fractalops approve {thread_id} | reject {thread_id} --message ... | "
                 f"edit {thread_id} --file PATCH")


@app.command()
def show(thread_id: str, as_json: JsonFlag = False) -> None:
    """The thread's HUD and what is waiting for approval."""
    _show(thread_id, as_json)


@app.command()
def resume(thread_id: str, as_json: JsonFlag = False) -> None:
    """Continue a thread from its last checkpoint (e.g. after a crash or restart)."""
    client = sdk()
    state = call(client.threads.get_state, thread_id)
    if state.get("interrupts"):
        raise CliError(f"thread {thread_id} is waiting for a decision: use approve / reject / edit")
    if not state.get("next"):
        raise CliError(f"thread {thread_id} has nothing left to run; launch new work with `fractalops run --thread`")
    created = call(client.runs.create, thread_id, _assistant_of(client, thread_id), input=None)
    join(client, thread_id, created["run_id"])
    _show(thread_id, as_json)


@app.command()
def approve(thread_id: str, as_json: JsonFlag = False) -> None:
    """Approve every action waiting on the thread (each approval binds to the hash you were shown)."""
    client = sdk()
    actions = _pending(client, thread_id)
    _resume(client, thread_id, [{"type": "approve"} for _ in actions], as_json)


@app.command()
def reject(
    thread_id: str,
    message: Annotated[str, typer.Option("--message", "-m", help="Why; carried back to the proposing agent.")],
    as_json: JsonFlag = False,
) -> None:
    """Reject every action waiting on the thread."""
    client = sdk()
    actions = _pending(client, thread_id)
    _resume(client, thread_id, [{"type": "reject", "message": message} for _ in actions], as_json)


@app.command()
def edit(
    thread_id: str,
    file: Annotated[Path, typer.Option("--file", "-f", exists=True, dir_okay=False, readable=True,
                                       help="The edited unified diff (git diff format).")],
    proposal: Annotated[str | None, typer.Option(help="Which proposal, when several are waiting.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Replace a proposal's diff; the new content hash goes back to review."""
    client = sdk()
    actions = _pending(client, thread_id)
    ids = [a["args"].get("proposal_id") for a in actions]
    if proposal is None and len(actions) > 1:
        raise CliError(f"{len(actions)} proposals are waiting ({', '.join(map(str, ids))}); name one with --proposal")
    target = proposal or ids[0]
    if target not in ids:
        raise CliError(f"proposal {target} is not waiting on thread {thread_id}; waiting: {', '.join(map(str, ids))}")
    if len(actions) > 1:
        raise CliError("decide the other waiting proposals first (approve/reject), then edit this one")
    action = actions[ids.index(target)]
    edited = {"name": action["name"], "args": {**action["args"], "diff": file.read_text(encoding="utf-8")}}
    _resume(client, thread_id, [{"type": "edit", "edited_action": edited}], as_json)
