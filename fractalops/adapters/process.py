"""Run one adapter process under containment: scrubbed env, fresh HOME, own process group and cgroup, timeout, caps.

`run_process(spec)` never leaves a process of the run behind (its cgroup, where the machine allows one, else its
process group: see `_cgroup.py`), never holds more than about
`output_cap_bytes` of output per stream in memory, and redacts every byte it returns (stdout, stderr, events,
final message) with a streaming redactor, so a secret split across two reads is still caught.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fractalops.adapters._cgroup import RunCgroup
from fractalops.adapters._streams import CappedBuffer, EventCollector
from fractalops.errors import AdapterError

if TYPE_CHECKING:
    from fractalops.armory.secrets.redact import Redactor

__all__ = [
    "ProcessSpec",
    "ProcessResult",
    "run_process",
    "default_parse_line",
    "group_members",
    "TERM_GRACE_S",
    "DRAIN_GRACE_S",
    "DEFAULT_OUTPUT_CAP_BYTES",
]

TERM_GRACE_S = 0.3
"""Seconds between SIGTERM and SIGKILL when a run times out."""
DRAIN_GRACE_S = 0.3
"""Seconds to keep draining pipes after the group is gone (a daemon that escaped the group may hold them)."""
DEFAULT_OUTPUT_CAP_BYTES = 1 << 20
_READ_SIZE = 1 << 16

EventCallback = Callable[[dict[str, Any]], None]


def default_parse_line(line: str) -> dict[str, Any] | None:
    """A JSON object line is an event as-is; any other non-blank line is `{"type": "output", "text": line}`."""
    import json

    stripped = line.strip()
    if not stripped:
        return None
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            obj.setdefault("type", "event")
            if "text" not in obj:
                obj["text"] = obj["message"] if isinstance(obj.get("message"), str) else ""
            return obj
    return {"type": "output", "text": line.rstrip("\r\n")}


@dataclass(frozen=True)
class ProcessSpec:
    """What to run and under which limits."""

    argv: Sequence[str]
    """Program and arguments (no shell)."""
    cwd: Path
    """Working directory (the isolated workspace)."""
    env: Mapping[str, str]
    """The complete, already scrubbed environment; `HOME` and `TMPDIR` are always replaced by fresh dirs."""
    redact: Any = None
    """Anything `Redactor.of` accepts: secret values, a mapping label → value, a `Redactor`, or None."""
    timeout_s: float = 600.0
    """Hard wall-clock limit; on expiry the whole group gets SIGTERM, then SIGKILL after `TERM_GRACE_S`."""
    output_cap_bytes: int = DEFAULT_OUTPUT_CAP_BYTES
    """Per-stream capture cap; beyond it output is drained and discarded, and a marker is appended."""
    on_event: EventCallback | None = None
    """Called (in the calling thread) with each redacted event as it is parsed from stdout."""
    parse_line: Callable[[str], dict[str, Any] | None] = default_parse_line
    """Turns one stdout line into a normalized event dict, or None to skip it (the adapter's `parse_line`)."""
    final_message: Callable[[list[dict[str, Any]], str], str] | None = None
    """Derives the final message from (events, stdout) (the adapter's `final_message`); default: last text."""
    home: Path | None = None
    """Parent dir for the fresh HOME (caller-owned); None → a private temp dir removed after the run."""


@dataclass(frozen=True)
class ProcessResult:
    """The redacted outcome of one run."""

    exit_code: int | None
    """The main process's exit code; negative = killed by that signal; None if it could not be reaped."""
    timed_out: bool
    """The run hit `timeout_s` (always a failure)."""
    killed: bool
    """The harness had to signal the main process (timeout)."""
    stdout: str
    """Captured stdout, capped and redacted; ends with `[... truncated N bytes]` when capped."""
    stderr: str
    """Captured stderr, capped and redacted."""
    truncated: bool
    """Some stdout/stderr bytes or events were discarded because of the caps."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """Redacted events parsed from stdout lines (head up to the budget, plus the tail)."""
    final_message: str = ""
    """The adapter's final answer, redacted."""
    duration_s: float = 0.0
    """Wall-clock seconds from launch to the end of cleanup."""
    leftovers_killed: bool = False
    """Processes of the group were still alive after the main process exited and were SIGKILLed."""
    stdout_bytes: int = 0
    """Total stdout bytes the process wrote (captured or not)."""
    stderr_bytes: int = 0
    """Total stderr bytes the process wrote (captured or not)."""
    containment: str = "process-group"
    """`cgroup` (every descendant, even one that left the process group with setsid) or `process-group`."""

    @property
    def ok(self) -> bool:
        """Exit code 0 and no timeout (callers still judge success by the diff, not by this)."""
        return self.exit_code == 0 and not self.timed_out

    def to_dict(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "killed": self.killed,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "truncated": self.truncated,
            "events": self.events,
            "final_message": self.final_message,
            "duration_s": self.duration_s,
            "leftovers_killed": self.leftovers_killed,
            "stdout_bytes": self.stdout_bytes,
            "stderr_bytes": self.stderr_bytes,
            "containment": self.containment,
        }


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids whose process group is `pgid`, read from /proc."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if fields and fields[0] != b"Z" and int(fields[2]) == pgid:
            found.append(int(entry))
    return found


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _default_final(events: list[dict[str, Any]], stdout: str) -> str:
    for event in reversed(events):
        for key in ("message", "text", "result"):
            value = event.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return stdout.strip().splitlines()[-1] if stdout.strip() else ""


def run_process(spec: ProcessSpec) -> ProcessResult:
    """Run `spec` to completion or timeout; see the module docstring for the containment guarantees."""
    if not spec.argv:
        raise AdapterError("empty argv for adapter process; the asset's `command` must name a program")
    from fractalops.armory.secrets.redact import Redactor  # lazy: importing adapters stays light

    redactor = Redactor.of(spec.redact)
    scratch = Path(tempfile.mkdtemp(prefix="fractalops-proc-", dir=spec.home)).resolve()
    home = scratch / "home"
    (home / "tmp").mkdir(parents=True)
    env = {**spec.env, "HOME": str(home), "TMPDIR": str(home / "tmp")}
    started = time.monotonic()
    cgroup: RunCgroup | None = None
    try:
        _check_launchable(spec, env)
        cgroup = RunCgroup.create()
        argv = cgroup.wrap(list(spec.argv)) if cgroup else list(spec.argv)
        try:
            proc = subprocess.Popen(
                argv, cwd=spec.cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            raise _launch_error(spec, exc) from exc
        return _supervise(proc, spec, redactor, started, cgroup)
    finally:
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(scratch, ignore_errors=True)


def _launch_error(spec: ProcessSpec, reason: object) -> AdapterError:
    return AdapterError(
        f"could not launch {spec.argv[0]!r} in {spec.cwd}: {reason}; check the asset's command and that "
        "the program is on the PATH allowed by its env_allow"
    )


def _check_launchable(spec: ProcessSpec, env: Mapping[str, str]) -> None:
    """Refuse a program that cannot be executed before anything starts (the cgroup wrapper would only exit 127)."""
    program = spec.argv[0]
    if "/" in program:
        path = Path(program) if os.path.isabs(program) else Path(spec.cwd) / program
        found = path.is_file() and os.access(path, os.X_OK)
    else:
        found = shutil.which(program, path=env.get("PATH", os.defpath)) is not None
    if not found:
        raise _launch_error(spec, "no such executable file")


def _supervise(
    proc: subprocess.Popen, spec: ProcessSpec, redactor: Redactor, started: float, cgroup: RunCgroup | None
) -> ProcessResult:
    pgid = proc.pid

    def kill_all() -> bool:
        """SIGKILL the group and, when there is one, the cgroup; True when anything was there to kill."""
        in_group = _signal_group(pgid, signal.SIGKILL)
        return (cgroup.kill() if cgroup is not None else False) or in_group

    cap = max(0, int(spec.output_cap_bytes))
    out_buf, err_buf = CappedBuffer(cap), CappedBuffer(cap)
    collector = EventCollector(spec.parse_line, redactor, spec.on_event, budget_bytes=max(cap, 1 << 16))
    streams = {
        proc.stdout.fileno(): (redactor.stream(), out_buf, collector),
        proc.stderr.fileno(): (redactor.stream(), err_buf, None),
    }
    sel = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    pidfd = _open_pidfd(proc.pid)
    if pidfd is not None:
        sel.register(pidfd, selectors.EVENT_READ)

    deadline = started + spec.timeout_s
    timed_out = killed = leftovers = False
    kill_at: float | None = None
    drain_until: float | None = None
    try:
        while True:
            now = time.monotonic()
            exited = proc.poll() is not None
            if exited and drain_until is None:
                # The main process is reaped; anything still in its group or cgroup is a leftover and dies now.
                leftovers = kill_all()
                drain_until = now + DRAIN_GRACE_S
                if pidfd is not None:
                    sel.unregister(pidfd)
                    os.close(pidfd)
                    pidfd = None
            if exited and not streams:
                break
            if drain_until is not None and now >= drain_until:
                break
            if now >= deadline + TERM_GRACE_S + DRAIN_GRACE_S:
                break  # SIGKILL did not take (uninterruptible sleep); stop waiting, `_reap` gives up too
            if not exited and not timed_out and now >= deadline:
                timed_out = killed = True
                _signal_group(pgid, signal.SIGTERM)
                kill_at = now + TERM_GRACE_S
            if kill_at is not None and now >= kill_at:
                kill_all()
                kill_at = None
            wake = [t for t in (None if timed_out else deadline, kill_at, drain_until) if t is not None]
            wait = max(0.0, min(wake) - now) if wake else 0.05
            if pidfd is None and not exited:
                wait = min(wait, 0.05)
            for key, _ in sel.select(wait):
                if key.fd != pidfd:
                    _read_into(key.fd, streams, sel)
    finally:
        for fd in list(streams):
            sel.unregister(fd)
            stream, buf, collector_ = streams.pop(fd)
            tail = stream.flush()
            if tail:
                buf.append(tail)
                if collector_ is not None:
                    collector_.feed(tail)
        if pidfd is not None:
            sel.unregister(pidfd)
            os.close(pidfd)
        sel.close()
        if proc.poll() is None:
            killed = True
        kill_all()
        exit_code = _reap(proc)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    containment = "cgroup" if cgroup is not None else "process-group"
    return _finish(spec, redactor, out_buf, err_buf, collector, exit_code, timed_out, killed, leftovers, started,
                   containment)


def _read_into(fd: int, streams: dict, sel: selectors.BaseSelector) -> None:
    stream, buf, collector = streams[fd]
    try:
        chunk = os.read(fd, _READ_SIZE)
    except BlockingIOError:
        return
    if not chunk:
        tail = stream.flush()
        sel.unregister(fd)
        streams.pop(fd)
    else:
        tail = stream.feed(chunk)
        buf.count_raw(len(chunk))
    if tail:
        buf.append(tail)
        if collector is not None:
            collector.feed(tail)
    if not chunk and collector is not None:
        collector.close()


def _open_pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return opener(pid)
    except OSError:
        return None


def _reap(proc: subprocess.Popen) -> int | None:
    try:
        return proc.wait(timeout=TERM_GRACE_S + 1)
    except subprocess.TimeoutExpired:
        return None


def _finish(
    spec: ProcessSpec, redactor: Redactor, out_buf: CappedBuffer, err_buf: CappedBuffer,
    collector: EventCollector, exit_code: int | None, timed_out: bool, killed: bool, leftovers: bool,
    started: float, containment: str,
) -> ProcessResult:
    collector.close()
    stdout, stderr = out_buf.text(), err_buf.text()
    events = collector.events()
    summarize = spec.final_message or _default_final
    try:
        final = redactor.redact(summarize(events, stdout) or "")
    except Exception as exc:  # an adapter's summary bug must not lose the run's result
        final = redactor.redact(f"(final message unavailable: {exc!r})")
    return ProcessResult(
        exit_code=exit_code,
        timed_out=timed_out,
        killed=killed,
        stdout=redactor.redact(stdout),
        stderr=redactor.redact(stderr),
        truncated=out_buf.dropped > 0 or err_buf.dropped > 0 or collector.dropped > 0,
        events=events,
        final_message=final,
        duration_s=round(time.monotonic() - started, 4),
        leftovers_killed=leftovers,
        stdout_bytes=out_buf.raw_bytes,
        stderr_bytes=err_buf.raw_bytes,
        containment=containment,
    )
