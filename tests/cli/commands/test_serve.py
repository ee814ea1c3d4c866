"""`fractalops serve --demo` (what `make dev` runs), twice on one data dir: a dev key, the login hint, and a demo
that is reused, never offered for approval again once it is applied."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fractalops.cli.devserver import free_port
from tests.cli.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.server


def _serve(data: Path, port: int, cwd: Path) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "FRACTALOPS_DATA_DIR": str(data), "XDG_CONFIG_HOME": str(cwd / "xdg"),
           "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "fractalops.cli.main", "serve", "--port", str(port), "--demo"],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in proc.stdout], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 180
    while not seen or seen[-1] != "Ctrl-C to stop.":
        try:
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            proc.kill()
            pytest.fail(f"serve did not get ready: {seen}")
    return proc, seen


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)  # serve stops its server with SIGTERM, which persists the threads
    assert proc.wait(timeout=90) == 0


def _demo_thread(lines: list[str]) -> str:
    return next(line for line in lines if line.startswith("demo thread ")).split()[2]


def test_make_dev_twice_reuses_the_applied_demo(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    url = f"http://127.0.0.1:{port}"
    proc, first = _serve(data, port, tmp_path)
    try:
        assert any(line.startswith("created a development API key (operator + approver)") for line in first)
        assert f"from any other directory: fractalops login {url}  (paste the key from {data / 'api_keys.json'})" in first
        thread_id = _demo_thread(first)
        assert f"demo thread {thread_id} is waiting for approval" in first
        assert any(line.endswith(f"approve {thread_id}") for line in first)
        # As in `make dev`: run from the data dir's parent with no login, the CLI uses the data dir's single key.
        approved = run_cli("approve", thread_id, "--json", cwd=tmp_path,
                           env={"FRACTALOPS_DATA_DIR": str(data), "FRACTALOPS_SERVER_URL": url})
        assert approved.code == 0, approved.stderr
    finally:
        _stop(proc)
    proc, second = _serve(data, port, tmp_path)
    try:
        assert not any(line.startswith("created a development API key") for line in second)
        assert f"demo thread {thread_id} (from an earlier start) is already applied (nothing to decide)" in second
        assert not any("approve" in line or "reject" in line for line in second), second
    finally:
        _stop(proc)
