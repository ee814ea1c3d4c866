"""The default builder as a real subprocess: writes inside the cwd, refuses escapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fractalops.adapters.write_changes import ChangeRefused, check_change_path

ROOT = Path(__file__).resolve().parents[2]


def _run(cwd: Path, task: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    task_file = tmp_path / "task.json"
    task_file.write_text(json.dumps(task))
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "fractalops.adapters.write_changes", str(task_file)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_writes_files_and_prints_jsonl(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "gone.txt").write_text("x")
    proc = _run(ws, {"intent": "demo", "changes": [
        {"path": "a/b/c.txt", "content": "hello\n"},
        {"path": "gone.txt", "delete": True},
    ]}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["type"] for e in events] == ["file_written", "file_deleted", "done"]
    assert events[0]["path"] == "a/b/c.txt" and "demo" in events[-1]["message"]
    assert (ws / "a/b/c.txt").read_text() == "hello\n"
    assert not (ws / "gone.txt").exists()


@pytest.mark.parametrize("bad", ["/etc/passwd", "../outside.txt", "a/../../outside.txt", ".git/config",
                                 "link/escape.txt", "", "C:\\x"])
def test_escapes_are_refused_and_nothing_is_written(tmp_path: Path, bad: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (ws / "link").symlink_to(tmp_path / "elsewhere")
    proc = _run(ws, {"intent": "evil", "changes": [{"path": "ok.txt", "content": "fine"},
                                                  {"path": bad, "content": "pwned"}]}, tmp_path)
    assert proc.returncode == 2
    assert "refused" in proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["type"] == "error"
    assert not (ws / "ok.txt").exists(), "validation happens before any write"
    assert not (tmp_path / "outside.txt").exists()
    assert not list((tmp_path / "elsewhere").iterdir())


def test_check_change_path_messages(tmp_path: Path) -> None:
    with pytest.raises(ChangeRefused, match="absolute"):
        check_change_path(tmp_path, "/abs")
    with pytest.raises(ChangeRefused, match=r"escapes the workspace with '\.\.'"):
        check_change_path(tmp_path, "x/../../y")
    assert check_change_path(tmp_path, "x/./y.txt") == (tmp_path / "x" / "y.txt").resolve()


@pytest.mark.parametrize("bad,match", [
    ("inner/x.txt", "goes through the symlink 'inner'"), ("alias.txt", "is a symlink"), (".GIT/config", "inside .git"),
    ("sub/.git", "inside .git"), ("git~1/config", "inside .git"), ("a\0b", "NUL"), ("a\nb", "control character"),
])
def test_the_shared_path_policy_applies_even_to_links_that_stay_inside(tmp_path: Path, bad: str, match: str) -> None:
    ws = tmp_path / "ws"
    (ws / "real").mkdir(parents=True)
    (ws / "real/file.txt").write_text("original")
    (ws / "inner").symlink_to("real")
    (ws / "alias.txt").symlink_to("real/file.txt")
    with pytest.raises(ChangeRefused, match=match):
        check_change_path(ws, bad)
    proc = _run(ws, {"intent": "sneaky", "changes": [{"path": bad, "content": "pwned"}]}, tmp_path)
    assert proc.returncode == 2 and "refused" in proc.stderr
    assert (ws / "real/file.txt").read_text() == "original" and sorted(p.name for p in (ws / "real").iterdir()) == ["file.txt"]


def test_bad_task_file(tmp_path: Path) -> None:
    proc = _run(tmp_path, {"changes": "not-a-list"}, tmp_path)
    assert proc.returncode == 2 and "must be a list" in proc.stderr
    proc = _run(tmp_path, {"changes": [{"path": "a.txt", "content": 5}]}, tmp_path)
    assert proc.returncode == 2 and "'content' must be a string" in proc.stderr
