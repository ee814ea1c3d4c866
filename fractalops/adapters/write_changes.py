"""The default deterministic builder: `python -m fractalops.adapters.write_changes TASK_FILE`.

Run as a real subprocess by the `workspace.default` asset with cwd = the isolated workspace. It reads the task
JSON (`AdapterTask.to_dict()`), checks every change first, then writes each change's `content` to its `path`
(relative, inside the cwd) and prints JSONL events: `{"type": "file_written", "path": ...}` per file, then
`{"type": "done", "message": ...}`. A change with `"delete": true` removes the file (`file_deleted`).

Refused (exit 2, nothing written, an `{"type": "error", ...}` event and a message on stderr): absolute paths,
`..` escapes, paths that resolve outside the cwd through a symlink, paths inside `.git`, non-string content.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["ChangeRefused", "check_change_path", "write_changes", "main"]


class ChangeRefused(ValueError):
    """A change that would write outside the workspace or is malformed."""


def check_change_path(root: Path, raw: Any) -> Path:
    """The absolute target inside `root` for a repo-relative `raw` path; `ChangeRefused` otherwise."""
    if not isinstance(raw, str) or not raw.strip():
        raise ChangeRefused(f"change path {raw!r} must be a non-empty relative path string")
    if "\0" in raw:
        raise ChangeRefused(f"change path {raw!r} contains a NUL byte")
    pure = PurePosixPath(raw.replace("\\", "/"))
    if pure.is_absolute() or raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":"):
        raise ChangeRefused(f"change path {raw!r} is absolute; give a path relative to the workspace root")
    if ".." in pure.parts:
        raise ChangeRefused(f"change path {raw!r} escapes the workspace with '..'; give a path inside it")
    if pure.parts and pure.parts[0] == ".git":
        raise ChangeRefused(f"change path {raw!r} is inside .git; only working-tree files may change")
    root = root.resolve()
    target = (root / Path(*pure.parts)).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        raise ChangeRefused(f"change path {raw!r} resolves to {target}, outside the workspace (a symlink?)") from None
    if target == root:
        raise ChangeRefused(f"change path {raw!r} names the workspace root itself; give a file path")
    return target


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
