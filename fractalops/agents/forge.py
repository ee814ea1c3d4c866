"""forge — builds the change in an isolated workspace; its output is a workspace-patch proposal.

The target repo is never written: the bound asset (default `workspace.default`, a deterministic no-model builder;
or a CLI agent such as Codex or Claude) works in a throwaway checkout and the checkout's diff becomes the proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import run_asset
from fractalops.adapters.workspace import isolated_workspace
from fractalops.adapters.write_changes import check_change_path
from fractalops.errors import AccessBlockedError, AdapterTimeoutError, UnsafePathError
from fractalops.git_runner import git
from fractalops.hud import AgentHUD
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
    """What the CLI agent said last (shown in the live signal line)."""


def _build_native(ctx: AgentContext, changes: list[dict[str, str]]) -> _Built:
    with isolated_workspace(Path(ctx.workspace)) as ws:
        for change in changes:
            path = check_change_path(ws.path, change["path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(change["content"])
            ctx.emit("file_written", f"wrote {change['path']}", path=change["path"])
        diff, files = ws.diff_and_files()
        return _Built(diff, ws.base_commit, files)


def _build_with_asset(ctx: AgentContext, hud: AgentHUD, changes: list[dict[str, str]]) -> _Built:
    asset = ctx.resources.armory().bind("forge", ctx.binding("forge"))
    if asset.kind == "native":
        return _build_native(ctx, changes)
    task = AdapterTask(intent=hud.intent, thread_id=ctx.thread_id, agent="forge", changes=tuple(changes),
                       prompt=f"{hud.intent}\n\nWork only inside the current directory.")

    def relay_event(event: dict[str, Any]) -> None:
        ctx.emit(f"adapter.{event.get('type', 'event')}", str(event.get("text") or event.get("type", ""))[:200])

    run = run_asset(asset, task, Path(ctx.workspace), secrets_backend=ctx.resources.secrets(), on_event=relay_event)
    final = run.result.final_message.strip()
    if final:
        ctx.emit("adapter_final", final[:500])
    return _Built(run.diff, run.base_commit, run.changed_files, final)


def _refused(ctx: AgentContext, exc: UnsafePathError) -> AgentResult:
    """An unsafe path ends the run here, with the reason in the HUD's outcome and the chat reply."""
    why = str(exc)
    ctx.emit("change_refused", why[:500], path=exc.path)
    return AgentResult(signal=f"refused: {why[:200]}",
                       summary={"last_feedback": why[:200], "outcome": f"refused: {why[:180]}; nothing was proposed"},
                       state={"phase": Phase.LINEAGE})


def run(hud: AgentHUD, ctx: AgentContext) -> AgentResult:
    if hud.route != Route.CHANGE:
        return _observe(ctx)
    changes = ctx.resources.get_payload(ctx.changes_ref) if ctx.changes_ref else []
    target = Path(ctx.workspace)
    try:
        if changes:  # where the change will land: the target's HEAD tree and working tree
            check_target_paths(target, "HEAD", [change["path"] for change in changes])
        built = _build_with_asset(ctx, hud, changes)
        # git's reading of the built diff (a CLI agent may have made links or touched anything): the file list
        files = check_patch(built.diff, target, built.base_commit).paths if built.diff.strip() else []
    except UnsafePathError as exc:
        return _refused(ctx, exc)
    except AdapterTimeoutError as exc:
        return AgentResult(signal=f"build failed: {exc}",
                           summary={"last_feedback": str(exc)[:200],
                                    "outcome": f"the build failed ({str(exc)[:120]}); nothing was applied, "
                                               "launch again on this thread to retry"},
                           state={"phase": Phase.LINEAGE})
    except AccessBlockedError as exc:
        return AgentResult(
            signal=f"blocked: {exc}",
            summary={"route": Route.ACCESS_RECOVERY, "blocked_on": exc.missing, "launch_contract": f"blocked: {exc}"},
            state={"route": Route.ACCESS_RECOVERY, "phase": Phase.BLOCKED,
                   "blocked": {"at": "forge", "reason": str(exc), "missing": exc.missing}},
        )
    said = f" — {built.final_message[:120]}" if built.final_message else ""
    if not built.diff.strip():
        return AgentResult(signal=f"built nothing: the workspace diff is empty, no proposal{said}",
                           summary={"outcome": "nothing to build: the workspace diff is empty, so no proposal was made"},
                           state={"phase": Phase.LINEAGE})
    proposal = ctx.resources.proposals.create(
        thread_id=ctx.thread_id,
        author_agent="forge",
        requester=ctx.requester.identity if ctx.requester else "",
        kind="workspace_patch",
        target=str(Path(ctx.workspace).resolve()),
        title=hud.intent[:120],
        payload={"diff": built.diff, "base_commit": built.base_commit, "files": files},
        idempotency_key=f"{ctx.run}:{len(ctx.proposal_ids) + 1}",  # a replay of this step gets its own record back
    )
    ctx.emit("proposal_created", f"{proposal.id}: {len(files)} file(s), {proposal.content_hash}",
             proposal_id=proposal.id)
    return AgentResult(
        signal=f"proposed {proposal.id} ({len(files)} file(s)){said}",
        state={"proposal_ids": [*ctx.proposal_ids, proposal.id], "phase": Phase.IDENTIFY},
    )


SPEC = AgentSpec(name="forge", pack="core", role="builds the change in an isolated workspace; output is a proposal",
                 run=run)
