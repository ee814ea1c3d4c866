"""forge — builds the change in an isolated workspace; its output is a workspace-patch proposal.

The target repo is never written: the bound asset (default `workspace.default`, a deterministic no-model builder;
a CLI agent such as Codex or Claude; or a `chat_model`, run as a Deep Agent whose file tools see only the checkout)
works in a throwaway checkout and the checkout's diff becomes the proposal. CLI and model agents build from the task
(atlas's plan, else the intent) alone; their last words join the thread's chat as forge's message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from fractalops.adapters.model_tools import ToolRun, model_tools
from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.adapters.workspace import isolated_workspace
from fractalops.adapters.write_changes import check_change_path
from fractalops.errors import (
    AccessBlockedError,
    AdapterTimeoutError,
    ConfigError,
    McpServerError,
    ModelRunError,
    UnsafePathError,
)
from fractalops.git_runner import git
from fractalops.hud import AgentHUD
from fractalops.planes.proposals import ProposalStatus
from fractalops.planes.proposals.patch_files import check_patch, check_target_paths
from fractalops.runtime import AgentContext, AgentResult, AgentSpec, Phase, Route

__all__ = ["SPEC"]


def _observe(ctx: AgentContext) -> AgentResult:
    if not ctx.workspace:
        return AgentResult(signal="observed: no workspace given, nothing to build",
                           summary={"outcome": "observed only: no workspace was given, so nothing was built or changed"},
                           state={"phase": Phase.LINEAGE})
    head = git(Path(ctx.workspace), "rev-parse", "--short", "HEAD", check=False)
    files = git(Path(ctx.workspace), "ls-files", check=False)
    count = len(files.stdout.splitlines())
    ctx.emit("observed", f"workspace at {head.stdout.strip()} tracks {count} files", head=head.stdout.strip(), files=count)
    return AgentResult(signal=f"observed {count} tracked files at {head.stdout.strip()}; no change requested",
                       summary={"outcome": f"observed the workspace read-only ({count} tracked files at "
                                           f"{head.stdout.strip()}); nothing was changed"},
                       state={"phase": Phase.LINEAGE})


@dataclass(frozen=True)
class _Built:
    diff: str
    base_commit: str
    files: list[str]
    final_message: str = ""
    """What the CLI or model agent said last (shown in the live signal line and the chat)."""
    usage: dict[str, Any] | None = None
    """A model agent's spend (`steps`, `output_tokens`, `elapsed_s`)."""


def _build_native(ctx: AgentContext, changes: list[dict[str, str]]) -> _Built:
    with isolated_workspace(Path(ctx.workspace)) as ws:
        for change in changes:
            path = check_change_path(ws.path, change["path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(change["content"])
            ctx.emit("file_written", f"wrote {change['path']}", path=change["path"])
        diff, files = ws.diff_and_files()
        return _Built(diff, ws.base_commit, files)


def _relay(ctx: AgentContext):
    def relay_event(event: dict[str, Any]) -> None:
        ctx.emit(f"adapter.{event.get('type', 'event')}", str(event.get("text") or event.get("type", ""))[:200])

    return relay_event


def _proposer(ctx: AgentContext, made: list[str]):
    """`propose(kind=, payload=, title=)` for the model's tools: a proposal by forge on this thread and run, its id
    appended to `made` (they join the patch in the same gate batch, or are withdrawn if the run ends before it).

    Keys `<run>:<kind>:<n>` (apart from the patch's): a replay of the step gets its own records back. A record found
    that is no longer `proposed` was withdrawn when an earlier attempt of this step ended (blocked, then resumed):
    this attempt gets a fresh one. A lock, because the model may call several tools at once."""
    lock = threading.Lock()

    def propose(*, kind: str, payload: dict[str, Any], title: str = "", target: str = "") -> str:
        with lock:
            key = f"{ctx.run}:{kind}:{len(ctx.proposal_ids) + len(made) + 1}"
            for attempt in count(1):
                proposal = ctx.resources.proposals.create(
                    thread_id=ctx.thread_id, author_agent="forge",
                    requester=ctx.requester.identity if ctx.requester else "", kind=kind,
                    target=target or str(Path(ctx.workspace).resolve()), title=(title or kind)[:120], payload=payload,
                    idempotency_key=key if attempt == 1 else f"{key}:{attempt}")
                if proposal.status == ProposalStatus.PROPOSED:
                    break
            made.append(proposal.id)
        ctx.emit("proposal_created", f"{proposal.id}: {kind} {proposal.content_hash}", proposal_id=proposal.id)
        return proposal.id

    return propose


def _withdraw(ctx: AgentContext, made: list[str], why: str) -> str:
    """The model's tool-call proposals of a run that ends before the gate: withdrawn (never sent), each with `why`.
    Returns the clause the outcome carries ("" when there were none)."""
    withdrawn = []
    for pid in made:
        if ctx.resources.proposals.withdraw(pid, f"forge's run ended before the gate ({why}); it was never "
                                                 "sent").status == ProposalStatus.REJECTED:
            withdrawn.append(pid)
            ctx.emit("proposal_withdrawn", f"{pid} withdrawn unsent: {why}"[:500], proposal_id=pid)
    if not withdrawn:
        return ""
    return f"; {len(withdrawn)} proposed tool call(s) withdrawn unsent ({', '.join(withdrawn)})"


def _build_with_model(ctx: AgentContext, hud: AgentHUD, asset: Any, made: list[str]) -> _Built:
    from fractalops.adapters.deep_agent import run_deep_agent  # deepagents loads only for model-backed runs

    armory = ctx.resources.armory()
    tool_run = ToolRun(thread_id=ctx.thread_id, agent="forge", model_asset=asset, emit=ctx.emit,
                       propose=_proposer(ctx, made))
    task = AdapterTask(intent=hud.intent, thread_id=ctx.thread_id, agent="forge", prompt=ctx.task or hud.intent)
    try:
        run = run_deep_agent(asset, task, Path(ctx.workspace), secrets_backend=ctx.resources.secrets(),
                             tools=lambda: model_tools(asset, armory.asset, tool_run), on_event=_relay(ctx))
    finally:
        for close in tool_run.closers:  # the run's MCP sessions end with it
            close()
    if run.final_message:
        ctx.emit("adapter_final", run.final_message[:500])
    return _Built(run.diff, run.base_commit, run.changed_files, run.final_message, usage=run.usage)


def _build_with_asset(ctx: AgentContext, hud: AgentHUD, changes: list[dict[str, str]], made: list[str]) -> _Built:
    asset = ctx.resources.armory().bind("forge", ctx.binding("forge"))
    if asset.kind == "native":
        return _build_native(ctx, changes)
    if asset.kind == "chat_model":
        return _build_with_model(ctx, hud, asset, made)
    # With `changes`, the adapter builds its prompt from the intent and the changes; without, from the task alone.
    prompt = "" if changes else f"{ctx.task or hud.intent}\n\nWork only inside the current directory."
    task = AdapterTask(intent=hud.intent, thread_id=ctx.thread_id, agent="forge", changes=tuple(changes),
                       prompt=prompt)
    run = run_asset(asset, task, Path(ctx.workspace), secrets_backend=ctx.resources.secrets(), on_event=_relay(ctx))
    final = run.result.final_message.strip()
    if final:
        ctx.emit("adapter_final", final[:500])
    return _Built(run.diff, run.base_commit, run.changed_files, final)


_STOPPED = {"budget": "its budget ran out", "timeout": "it hit its timeout", "model_error": "the model failed"}


def _stopped(exc: ModelRunError, withdrawn: str) -> AgentResult:
    """A model run that stopped: the HUD's outcome names why; nothing is proposed or applied; the thread resumes."""
    why = str(exc)
    return AgentResult(signal=f"build stopped ({exc.reason}): {why[:180]}",
                       summary={"last_feedback": why[:200],
                                "outcome": f"the build stopped: {_STOPPED.get(exc.reason, exc.reason)} "
                                           f"({why[:110]}){withdrawn}; nothing was applied, launch again on this "
                                           "thread to retry"},
                       state={"phase": Phase.LINEAGE})


def _ended(ctx: AgentContext, made: list[str], exc: Exception, what: str, shown: int, then: str) -> AgentResult:
    """A build that failed or could not start: the model's proposals withdrawn, the outcome names why, nothing was
    applied; `then` says what to do next."""
    why = str(exc)
    withdrawn = _withdraw(ctx, made, f"the {what}: {why[:160]}")
    return AgentResult(signal=f"{what}: {why}",
                       summary={"last_feedback": why[:200],
                                "outcome": f"the {what} ({why[:shown]}){withdrawn}; nothing was applied{then}"},
                       state={"phase": Phase.LINEAGE})


def _refused(ctx: AgentContext, exc: UnsafePathError, withdrawn: str) -> AgentResult:
    """An unsafe path ends the run here, with the reason in the HUD's outcome and the chat reply."""
    why = str(exc)
    ctx.emit("change_refused", why[:500], path=exc.path)
    return AgentResult(signal=f"refused: {why[:200]}",
                       summary={"last_feedback": why[:200],
                                "outcome": f"refused: {why[:180]}{withdrawn}; nothing was proposed"},
                       state={"phase": Phase.LINEAGE})


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    if hud.route != Route.CHANGE:
        return _observe(ctx)
    changes = ctx.resources.get_payload(ctx.changes_ref) if ctx.changes_ref else []
    target = Path(ctx.workspace)
    made: list[str] = []  # the model's tool-call proposals: to the gate with the patch, or withdrawn
    try:
        if changes:  # where the change will land: the target's HEAD tree and working tree
            check_target_paths(target, "HEAD", [change["path"] for change in changes])
        built = _build_with_asset(ctx, hud, changes, made)
        # git's reading of the built diff (a CLI agent may have made links or touched anything): the file list
        files = check_patch(built.diff, target, built.base_commit).paths if built.diff.strip() else []
    except UnsafePathError as exc:
        return _refused(ctx, exc, _withdraw(ctx, made, f"refused: {str(exc)[:160]}"))
    except ModelRunError as exc:
        return _stopped(exc, _withdraw(ctx, made, f"the build stopped: {_STOPPED.get(exc.reason, exc.reason)}"))
    except (AdapterTimeoutError, McpServerError) as exc:  # a hung CLI, or an MCP server the model could not reach
        return _ended(ctx, made, exc, "build failed", 120, ", launch again on this thread to retry")
    except ConfigError as exc:  # e.g. two MCP servers offering one tool name: named before the model is called
        return _ended(ctx, made, exc, "build could not start", 140,
                      "; fix the Armory, then launch again on this thread")
    except AccessBlockedError as exc:
        _withdraw(ctx, made, f"blocked: {str(exc)[:160]}")  # the resumed run builds (and proposes) afresh
        return AgentResult(
            signal=f"blocked: {exc}",
            summary={"route": Route.ACCESS_RECOVERY, "blocked_on": exc.missing, "launch_contract": f"blocked: {exc}"},
            state={"route": Route.ACCESS_RECOVERY, "phase": Phase.BLOCKED,
                   "blocked": {"at": "forge", "reason": str(exc), "missing": exc.missing}},
        )
    except Exception as exc:  # the step fails; its proposals must not wait for a gate this run will never reach
        _withdraw(ctx, made, f"forge failed: {type(exc).__name__}: {str(exc)[:140]}")
        raise
    said = f" — {built.final_message[:120]}" if built.final_message else ""
    spent = {"model_usage": built.usage} if built.usage is not None else {}
    chat = {"messages": [AIMessage(content=built.final_message, name="forge")]} if built.final_message else {}
    tool_ids = list(made)
    if not built.diff.strip():
        if tool_ids:  # the model's tools proposed calls: they go to the gate without a patch
            return AgentResult(signal=f"proposed {len(tool_ids)} tool call(s), no file change{said}", summary=spent,
                               state={"proposal_ids": [*ctx.proposal_ids, *tool_ids], "phase": Phase.IDENTIFY, **chat})
        return AgentResult(signal=f"built nothing: the workspace diff is empty, no proposal{said}",
                           summary={**spent,
                                    "outcome": "nothing to build: the workspace diff is empty, so no proposal was made"},
                           state={"phase": Phase.LINEAGE, **chat})
    proposal = ctx.resources.proposals.create(
        thread_id=ctx.thread_id,
        author_agent="forge",
        requester=ctx.requester.identity if ctx.requester else "",
        kind="workspace_patch",
        target=str(Path(ctx.workspace).resolve()),
        title=hud.intent[:120],  # the requester's words, not the model's
        payload={"diff": built.diff, "base_commit": built.base_commit, "files": files},
        # a replay of this step gets its own record back
        idempotency_key=f"{ctx.run}:{len(ctx.proposal_ids) + 1}",
    )
    ctx.emit("proposal_created", f"{proposal.id}: {len(files)} file(s), {proposal.content_hash}",
             proposal_id=proposal.id)
    return AgentResult(
        signal=f"proposed {proposal.id} ({len(files)} file(s)){said}",
        summary=spent,
        state={"proposal_ids": [*ctx.proposal_ids, *tool_ids, proposal.id], "phase": Phase.IDENTIFY, **chat},
    )


SPEC = AgentSpec(name="forge", pack="core", role="builds the change in an isolated workspace; output is a proposal",
                 run=run)
