"""The default deterministic builder: `python -m fractalops.adapters.write_changes TASK_FILE`.

Run as a real subprocess by the `workspace.default` asset with cwd = the isolated workspace. It reads the task
JSON (`AdapterTask.to_dict()`), checks every change first, then writes each change's `content` to its `path`
(relative, inside the cwd) and prints JSONL events: `{"type": "file_written", "path": ...}` per file, then
`{"type": "done", "message": ...}`. A change with `"delete": true` removes the file (`file_deleted`).

Refused (exit 2, nothing written, an `{"type": "error", ...}` event and a message on stderr): every path
`fractalops.repo_paths` refuses (absolute, `..`, `.git` in any spelling, NUL and control characters), a path through
a symlinked directory or onto a symlink, non-string content.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fractalops.errors import UnsafePathError
from fractalops.repo_paths import check_worktree_path

__all__ = ["ChangeRefused", "check_change_path", "write_changes", "main"]


class ChangeRefused(UnsafePathError, ValueError):
    """A change that would write outside the workspace or is malformed."""


def check_change_path(root: Path, raw: Any) -> Path:
    """The absolute target inside `root` for a repo-relative `raw` path; `ChangeRefused` otherwise.

    The policy is `fractalops.repo_paths` (shared with run input, forge and relay); on top of it a change is
    refused when a parent directory or the file itself is a symlink, even one that stays inside `root`.
    """
    return check_worktree_path(root, raw, error=ChangeRefused)


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def write_changes(root: Path, changes: list[Any]) -> list[dict[str, Any]]:
    """Validate every change, then apply them all under `root`; returns the events (also for tests)."""
    if not isinstance(changes, list):
        raise ChangeRefused(f"task `changes` must be a list of {{'path', 'content'}} objects, got {type(changes).__name__}")
    planned: list[tuple[str, Path, str | None]] = []
    for index, change in enumerate(changes):
        if not isinstance(change, dict):
            raise ChangeRefused(f"changes[{index}] must be an object with 'path' and 'content'")
        target = check_change_path(root, change.get("path"))
        if change.get("delete"):
            planned.append((change["path"], target, None))
            continue
        content = change.get("content")
        if not isinstance(content, str):
            raise ChangeRefused(f"changes[{index}] ({change.get('path')!r}): 'content' must be a string")
        planned.append((change["path"], target, content))
    events: list[dict[str, Any]] = []
    for rel, target, content in planned:
        if content is None:
            target.unlink(missing_ok=True)
            events.append({"type": "file_deleted", "text": f"deleted {rel}", "path": rel})
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            events.append({"type": "file_written", "text": f"wrote {rel}", "path": rel,
                           "bytes": len(content.encode("utf-8"))})
    return events


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m fractalops.adapters.write_changes TASK_FILE\n")
        return 2
    try:
        task = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        if not isinstance(task, dict):
            raise ChangeRefused(f"task file {args[0]} must hold a JSON object")
        events = write_changes(Path.cwd(), task.get("changes") or [])
    except (OSError, ValueError) as exc:
        message = f"write_changes refused the task: {exc}"
        _emit({"type": "error", "text": message})
        sys.stderr.write(message + "\n")
        return 2
    for event in events:
        _emit(event)
    written = sum(1 for e in events if e["type"] == "file_written")
    deleted = len(events) - written
    summary = f"wrote {written} file(s)" + (f", deleted {deleted}" if deleted else "")
    message = f"{summary} for: {task.get('intent', '')}".strip()
    _emit({"type": "done", "text": message, "message": message})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
