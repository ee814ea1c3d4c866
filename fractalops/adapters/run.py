"""`run_asset`: launch one runtime asset on one task in an isolated workspace and return its redacted diff.

The only place secrets are resolved. Order of work:
1. resolve `asset.secrets` (missing → `AccessBlockedError(missing=[refs])`, nothing launched);
2. write the task JSON into a private run dir (outside the checkout, so it never shows in the diff);
3. open the isolated workspace (`asset.workdir`), build argv/env through the kind's adapter;
4. run the process under containment (`run_process`), streaming each redacted event to `on_event`;
5. scrub secret values out of changed files in the throwaway checkout, then take the diff (redacted again);
6. auth failure (`adapter.classify_failure`) → `AccessBlockedError(reason, missing=[asset secret refs])`;
   timeout → `AdapterTimeoutError` (after cleanup, `.run` holds the partial run).
Success is judged by the diff (`AdapterRun.succeeded`), never by the exit code alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fractalops.adapters.process import ProcessResult, ProcessSpec, run_process
from fractalops.adapters.protocol import AdapterTask, ProcessAdapter, adapter_for
from fractalops.adapters.workspace import Workspace, isolated_workspace
from fractalops.errors import AccessBlockedError, AdapterTimeoutError

if TYPE_CHECKING:
    from fractalops.armory.secrets.redact import Redactor

__all__ = ["AdapterRun", "run_asset", "scrubbed_env", "redacted_diff"]

EventCallback = Callable[[dict[str, Any]], None]
_NEVER_PASSED = frozenset({"HOME", "TMPDIR"})  # always replaced by the run's fresh dirs


@dataclass(frozen=True)
class AdapterRun:
    """The redacted outcome of one asset launch."""

    asset_id: str
    """The asset that ran."""
    kind: str
    """Its adapter kind."""
    result: ProcessResult
    """The contained process's redacted result (exit code, streams, events, final message)."""
    base_commit: str
    """The commit the workspace was checked out at; the diff applies onto it."""
    diff: str
    """Redacted unified diff (`--binary`) of everything the process changed; '' when nothing changed."""
    changed_files: list[str] = field(default_factory=list)
    """Repo-relative paths the diff touches."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """Every event passed to `on_event`: `adapter_started`, the process's events, `adapter_finished`."""

    @property
    def succeeded(self) -> bool:
        """The process produced a change and did not time out (CLIs exit 0 even when a write was refused)."""
        return bool(self.diff) and not self.result.timed_out

    @property
    def failure_reason(self) -> str | None:
        """Why the run did not succeed, for operators; None when it did."""
        if self.succeeded:
            return None
        if self.result.timed_out:
            return f"timed out after {self.result.duration_s:.1f}s"
        tail = (self.result.stderr.strip().splitlines() or [""])[-1][:300]
        return f"no changes in the workspace (exit {self.result.exit_code})" + (f": {tail}" if tail else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "kind": self.kind,
            "base_commit": self.base_commit,
            "succeeded": self.succeeded,
            "failure_reason": self.failure_reason,
            "changed_files": list(self.changed_files),
            "diff": self.diff,
            "events": list(self.events),
            "result": self.result.to_dict(),
        }


def scrubbed_env(asset: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Host vars named in `asset.env_allow` (never HOME/TMPDIR) + `asset.env` + `extra`; nothing else."""
    env = {name: os.environ[name] for name in getattr(asset, "env_allow", []) or []
           if name in os.environ and name not in _NEVER_PASSED}
    env.update({str(k): str(v) for k, v in (getattr(asset, "env", None) or {}).items()})
    env.update(extra or {})
    return env


def _resolve_secrets(asset: Any, backend: Any) -> dict[str, str]:
    if not getattr(asset, "secrets", None):
        return {}
    from fractalops.armory.secrets import open_secret_backend, resolve_asset_secrets

    return dict(resolve_asset_secrets(asset, backend if backend is not None else open_secret_backend()))


def redacted_diff(ws: Workspace, redactor: Redactor) -> tuple[str, list[str]]:
    """The workspace diff and its file list with `redactor`'s values scrubbed from the changed files first."""
    diff, files = ws.diff_and_files()
    if not redactor or not files:
        return diff, files
    # Redact at the source so even binary (base85) hunks of the diff cannot carry a secret value.
    dirty = False
    for rel in files:
        path = ws.path / rel
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            redacted = redactor.redact_bytes(data)
            if redacted != data:
                path.write_bytes(redacted)
                dirty = True
    if dirty:
        diff, files = ws.diff_and_files()
    return redactor.redact(diff), [redactor.redact(p) for p in files]


def run_asset(
    asset: Any,
    task: AdapterTask,
    target_repo: Path,
    *,
    secrets_backend: Any = None,
    on_event: EventCallback | None = None,
    base: str | None = None,
    adapter: ProcessAdapter | None = None,
) -> AdapterRun:
    """Launch `asset` (a `RuntimeAsset`) on `task` against `target_repo` at `base` (default HEAD).

    `on_event(event)` is called in this thread with each redacted event, each carrying `asset_id` and `seq`.
    Raises `AccessBlockedError` (missing or refused credential), `AdapterTimeoutError`, `AdapterError`
    (launch failure), `ConfigError` (bad asset/target). The target's working tree and HEAD are never touched.
    """
    adapter = adapter or adapter_for(asset.kind)
    secret_env = _resolve_secrets(asset, secrets_backend)
    from fractalops.armory.secrets.redact import Redactor  # lazy: importing adapters stays light

    redactor = Redactor(secret_env)
    events: list[dict[str, Any]] = []

    def emit(event: dict[str, Any]) -> None:
        event = redactor.redact_obj(dict(event))
        event.setdefault("asset_id", asset.asset_id)
        event["seq"] = len(events)
        events.append(event)
        if on_event is not None:
            on_event(event)

    run_dir = Path(tempfile.mkdtemp(prefix="fractalops-run-")).resolve()
    try:
        task_file = run_dir / "task.json"
        task_file.write_text(task.to_json(), encoding="utf-8")
        with isolated_workspace(target_repo, mode=asset.workdir, base=base) as opened:
            ws = replace(opened, task_file=task_file)
            argv = adapter.build_argv(asset, task, ws)
            build_env = getattr(adapter, "build_env", None)
            adapter_env = dict(build_env(asset, task, ws)) if build_env is not None else {}
            env = scrubbed_env(asset, {**adapter_env, **secret_env})
            emit({"type": "adapter_started", "text": f"{asset.asset_id} ({asset.kind}) started",
                  "kind": asset.kind, "program": Path(argv[0]).name if argv else "",
                  "base_commit": ws.base_commit, "thread_id": task.thread_id, "agent": task.agent})
            result = run_process(ProcessSpec(
                argv=argv, cwd=ws.path, env=env, redact=redactor, timeout_s=asset.timeout_s,
                output_cap_bytes=asset.output_cap_bytes, on_event=emit, parse_line=adapter.parse_line,
                final_message=adapter.final_message, home=run_dir,
            ))
            diff, changed = redacted_diff(ws, redactor)
            base_commit = ws.base_commit
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    emit({"type": "adapter_finished", "text": f"{asset.asset_id} finished: exit {result.exit_code}, "
          f"{len(changed)} file(s) changed" + (", timed out" if result.timed_out else ""),
          "exit_code": result.exit_code, "timed_out": result.timed_out, "changed_files": len(changed),
          "truncated": result.truncated, "duration_s": result.duration_s})
    run = AdapterRun(asset_id=asset.asset_id, kind=asset.kind, result=result, base_commit=base_commit,
                     diff=diff, changed_files=changed, events=events)
    reason = adapter.classify_failure(result)
    if reason:
        raise AccessBlockedError(redactor.redact(reason), missing=sorted(getattr(asset, "secrets", {}).values()))
    if result.timed_out:
        raise AdapterTimeoutError(
            f"asset {asset.asset_id!r} ({asset.kind}) hit its timeout of {asset.timeout_s}s and its process group "
            "was killed; raise `timeout_s` in the Armory if the task is legitimately long, or check the command "
            "for a hang (waiting on input, network, or a login prompt)", run=run,
        )
    return run
