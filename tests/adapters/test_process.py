"""Containment of `run_process`: real processes, real signals, no mocks."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fractalops.adapters._cgroup import cgroup_base
from fractalops.adapters.process import ProcessSpec, group_members, run_process
from fractalops.errors import AdapterError

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def _run(tmp_path: Path, argv: list[str], **kw) -> tuple:
    spec = ProcessSpec(argv=argv, cwd=tmp_path, env=kw.pop("env", ENV), **kw)
    started = time.monotonic()
    result = run_process(spec)
    return result, time.monotonic() - started


def _pgid_file(tmp_path: Path) -> Path:
    return tmp_path / "pgid"


def test_hang_is_killed_at_timeout(tmp_path: Path) -> None:
    # `exec` makes sleep the main process; the pgid is written first so we can scan the group afterwards.
    pgid_file = _pgid_file(tmp_path)
    result, took = _run(tmp_path, ["sh", "-c", f"echo $$ > {pgid_file}; exec sleep 1000"], timeout_s=1.0)
    assert result.timed_out and result.killed and not result.ok
    assert result.exit_code is not None and result.exit_code < 0
    assert 1.0 <= took < 2.0
    pgid = int(pgid_file.read_text())
    assert group_members(pgid) == []


def test_sigterm_ignored_gets_sigkill(tmp_path: Path) -> None:
    script = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n" \
             "while True: time.sleep(1)\n"
    result, took = _run(tmp_path, [sys.executable, "-c", script], timeout_s=1.0)
    assert result.timed_out and result.exit_code == -9
    assert took < 2.0
    assert result.stdout.strip() == "ready"


@pytest.mark.parametrize("argv", [
    ["yes", "flood-line-0123456789"],
    [sys.executable, "-c",
     "import sys\nb = b'x' * 65536\nfor _ in range(2000): sys.stdout.buffer.write(b)\n"
     "sys.stderr.buffer.write(b * 100)\n"],
])
def test_flood_is_capped_and_memory_bounded(tmp_path: Path, argv: list[str]) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    cap = 200_000
    result, took = _run(tmp_path, argv, timeout_s=3.0, output_cap_bytes=cap)
    grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert took < 3.0 + 1.0
    assert result.stdout_bytes >= 100 * 1024 * 1024
    assert result.truncated
    assert "[... truncated " in result.stdout
    assert len(result.stdout.encode()) <= cap + 64
    assert len(result.stderr.encode()) <= cap + 64
    assert len(result.events) <= 10_000 + 1 + 64
    assert grew_kib < 60 * 1024, f"parent RSS grew by {grew_kib} KiB"


def test_forked_children_do_not_survive(tmp_path: Path) -> None:
    pgid_file = _pgid_file(tmp_path)
    result, took = _run(tmp_path, ["sh", "-c", f"echo $$ > {pgid_file}; sleep 1000 & sleep 1000 & exit 0"],
                        timeout_s=5.0)
    assert took < 5.0 + 1.0
    assert result.exit_code == 0 and not result.timed_out
    assert result.leftovers_killed
    pgid = int(pgid_file.read_text())
    assert group_members(pgid) == []


def test_children_holding_pipes_do_not_block(tmp_path: Path) -> None:
    # The grandchild keeps stdout open after the main process exits; we must not wait for its EOF.
    result, took = _run(tmp_path, ["sh", "-c", "(sleep 1000; echo late) & echo early"], timeout_s=5.0)
    assert took < 2.0
    assert result.stdout.strip() == "early"


def test_main_process_closing_pipes_is_still_awaited(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    script = f"import os, time\nos.close(1); os.close(2)\ntime.sleep(0.3)\nopen({str(marker)!r}, 'w').close()\n"
    result, _ = _run(tmp_path, [sys.executable, "-c", script], timeout_s=5.0)
    assert result.exit_code == 0 and marker.exists()


def test_env_is_scrubbed_home_fresh_stdin_null(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_HOST_ONLY", "leak")
    script = ("import json, os, sys\n"
              "print(json.dumps({'type': 'env', 'env': dict(os.environ), 'stdin': sys.stdin.read(),"
              " 'home_files': os.listdir(os.environ['HOME'])}))\n"
              "open(os.path.join(os.environ['HOME'], 'dirt'), 'w').close()\n")
    seen = []
    for _ in range(2):
        result, _ = _run(tmp_path, [sys.executable, "-c", script], env={**ENV, "ALLOWED": "1"})
        [event] = [e for e in result.events if e["type"] == "env"]
        seen.append(event)
    env = seen[0]["env"]
    assert "FRACTALOPS_HOST_ONLY" not in env
    assert env["ALLOWED"] == "1"
    assert env["HOME"] != os.environ.get("HOME") and env["TMPDIR"].startswith(env["HOME"])
    assert seen[0]["stdin"] == ""
    assert seen[1]["home_files"] == ["tmp"], "HOME must be fresh per run"
    assert seen[0]["env"]["HOME"] != seen[1]["env"]["HOME"]
    assert not Path(env["HOME"]).exists(), "the private HOME is removed after the run"


def test_events_stream_in_order_and_final_message(tmp_path: Path) -> None:
    got: list[dict] = []
    script = "print('{\"type\": \"step\", \"text\": \"one\"}')\nprint('plain words')\n" \
             "print('{\"type\": \"done\", \"message\": \"all good\"}')\n"
    result, _ = _run(tmp_path, [sys.executable, "-c", script], on_event=got.append)
    assert [e["type"] for e in got] == ["step", "output", "done"]
    assert got == result.events
    assert got[1]["text"] == "plain words"
    assert result.final_message == "all good"


def test_on_event_runs_in_caller_thread(tmp_path: Path) -> None:
    threads = set()
    _run(tmp_path, ["echo", "x"], on_event=lambda e: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}


def test_launch_failure_is_adapter_error(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="could not launch 'no-such-program-xyz'"):
        run_process(ProcessSpec(argv=["no-such-program-xyz"], cwd=tmp_path, env=ENV))
    with pytest.raises(AdapterError, match="empty argv"):
        run_process(ProcessSpec(argv=[], cwd=tmp_path, env=ENV))


def test_flood_keeps_tail_events_and_final_message(tmp_path: Path) -> None:
    script = ("import sys\nline = b'noise line\\n' * 6000\nfor _ in range(2000): sys.stdout.buffer.write(line)\n"
              "sys.stdout.buffer.write(b'{\"type\": \"done\", \"message\": \"finished\"}\\n')\n")
    result, took = _run(tmp_path, [sys.executable, "-c", script], timeout_s=10.0, output_cap_bytes=100_000)
    assert result.exit_code == 0 and result.stdout_bytes > 100 * 1024 * 1024
    types = [e["type"] for e in result.events]
    assert "events_truncated" in types and types[-1] == "done"
    assert result.final_message == "finished"
    assert len(result.events) <= 10_000 + 1 + 64


def _alive_with(marker: str, cmdline: bytes | None = None) -> list[int]:
    """Live pids whose command line holds `marker` (or is exactly `cmdline`, NUL-separated, when given)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found_cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
            except OSError:
                continue
            matches = found_cmdline == cmdline if cmdline is not None else marker.encode() in found_cmdline
            if matches and state != b"Z":
                found.append(int(entry))
    return found


needs_cgroup = pytest.mark.skipif(
    cgroup_base() is None,
    reason="no writable cgroup v2 hierarchy with cgroup.kill here (needs root and Linux >= 5.14); "
    "runs are contained by their process group only, which a setsid escapee leaves",
)


@needs_cgroup
@pytest.mark.parametrize("main", ["exit 0", "exec sleep 1000"], ids=["main-exits", "main-times-out"])
def test_a_setsid_escapee_does_not_survive_the_run(tmp_path: Path, main: str) -> None:
    marker = f"{time.time_ns() % 10**9}.5"  # a unique sleep duration to find the escapee by
    script = f"setsid sh -c 'sleep {marker} & sleep {marker}' & sleep 0.2; {main}"
    result, took = _run(tmp_path, ["sh", "-c", script], timeout_s=1.5)
    assert result.containment == "cgroup" and took < 1.5 + 1.0
    assert result.timed_out == (main != "exit 0")
    assert result.leftovers_killed or result.timed_out
    assert _alive_with(marker) == []
    assert [p.name for p in cgroup_base().iterdir() if p.name.startswith("run-")] == []


def test_without_cgroups_the_process_group_still_contains_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRACTALOPS_ADAPTER_CGROUP", "off")
    cgroup_base.cache_clear()
    try:
        pgid_file = _pgid_file(tmp_path)
        result, _ = _run(tmp_path, ["sh", "-c", f"echo $$ > {pgid_file}; sleep 1000 & exit 3"], timeout_s=5.0)
        assert result.containment == "process-group" and result.exit_code == 3 and result.leftovers_killed
        assert group_members(int(pgid_file.read_text())) == []
    finally:
        monkeypatch.delenv("FRACTALOPS_ADAPTER_CGROUP")
        cgroup_base.cache_clear()


@needs_cgroup
def test_the_program_keeps_its_pid_argv_and_exit_status_inside_the_cgroup(tmp_path: Path) -> None:
    script = "import os, sys\nprint(os.getpid(), os.getppid(), sys.argv[1:], open('/proc/self/cgroup').read())\n" \
             "sys.exit(5)"
    result, _ = _run(tmp_path, [sys.executable, "-c", script, "a b", "c"], timeout_s=5.0)
    pid, _ppid, rest = result.stdout.split(" ", 2)
    assert result.exit_code == 5 and "['a b', 'c']" in rest and "/fractalops/run-" in rest
    assert int(pid) > 0


@needs_cgroup
def test_runs_of_a_killed_server_are_swept_at_the_next_start(tmp_path: Path) -> None:
    # A child process stands in for a server that was SIGKILLed in the middle of an adapter run.
    marker = f"{time.time_ns() % 10**9}.25"
    script = (
        "import sys, subprocess\n"
        "from fractalops.adapters._cgroup import RunCgroup\n"
        "cgroup = RunCgroup.create()\n"
        f"subprocess.Popen(cgroup.wrap(['setsid', 'sleep', '{marker}']), start_new_session=True, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(cgroup.path, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True)
    orphan = Path(done.stdout.strip())
    # Wait for the exec'd sleep itself: until then the marker is also in `setsid`'s argv, and a process in the
    # middle of exec shows an empty cmdline, so a plain marker search can see the run vanish for a moment.
    sleeping = f"sleep\0{marker}\0".encode()
    deadline = time.monotonic() + 5
    while not _alive_with(marker, cmdline=sleeping) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert orphan.is_dir() and _alive_with(marker, cmdline=sleeping)  # the "server" is gone, its run is not
    cgroup_base.cache_clear()
    assert cgroup_base() == orphan.parent  # the next start sweeps it
    assert _alive_with(marker) == [] and not orphan.exists()
