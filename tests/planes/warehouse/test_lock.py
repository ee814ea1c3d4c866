"""The single-writer rule: one process per embedded path, with an error that names the owner."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fractalops.errors import WarehouseOwnedError
from fractalops.planes.warehouse._lock import LOCK_FILE_NAME, OwnerLock, read_owner

from .conftest import PYTHON, subprocess_env

HOLDER = """
import sys
from pathlib import Path
from fractalops.planes.warehouse import open_warehouse
wh = open_warehouse(Path(sys.argv[1]))
wh.insert_events([{"event_id": "held", "ontology_id": "fo:Event", "project": "p", "source": "holder"}])
print("ready", flush=True)
sys.stdin.readline()
wh.close()
"""

CONTENDER = """
import json, sys
from pathlib import Path
from fractalops.errors import WarehouseOwnedError
from fractalops.planes.warehouse import open_warehouse
try:
    wh = open_warehouse(Path(sys.argv[1]))
except WarehouseOwnedError as exc:
    print(json.dumps({"opened": False, "owner_pid": exc.owner_pid, "error": str(exc)}))
else:
    print(json.dumps({"opened": True, "events": wh.table_counts()["events"]}))
    wh.close()
"""


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _contend(data_dir: Path) -> dict:
    out = subprocess.run([PYTHON, "-c", CONTENDER, str(data_dir)], env=subprocess_env(), capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def holder(tmp_path: Path):
    proc = subprocess.Popen([PYTHON, "-c", HOLDER, str(tmp_path)], env=subprocess_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def test_lock_file_round_trip_and_stale_takeover(tmp_path: Path) -> None:
    stale = tmp_path / LOCK_FILE_NAME
    dead = _dead_pid()
    stale.write_text(json.dumps({"pid": dead, "command": "old server", "since": 1.0}))
    assert read_owner(stale).pid == dead
    lock = OwnerLock(tmp_path)
    lock.acquire()
    assert lock.held and read_owner(stale).pid == os.getpid()
    lock.release()
    assert not lock.held


def test_second_process_gets_an_error_naming_the_owner(tmp_path: Path, holder: subprocess.Popen) -> None:
    result = _contend(tmp_path)
    assert result["opened"] is False
    assert result["owner_pid"] == holder.pid
    assert f"pid {holder.pid}" in result["error"]
    assert "single writer" in result["error"] and "Stop that process" in result["error"]


def test_lock_of_a_killed_owner_is_taken_over(tmp_path: Path, holder: subprocess.Popen) -> None:
    holder.kill()
    holder.wait(timeout=30)
    assert read_owner(tmp_path / "warehouse" / LOCK_FILE_NAME).pid == holder.pid  # the stale record is still there
    result = _contend(tmp_path)
    assert result == {"opened": True, "events": 1}


def test_in_process_lock_conflict_is_refused(tmp_path: Path) -> None:
    first = OwnerLock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(WarehouseOwnedError, match=f"pid {os.getpid()}"):
            OwnerLock(tmp_path).acquire()
    finally:
        first.release()
