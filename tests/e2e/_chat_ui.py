"""LangChain's Agent Chat UI as a test client: cached build, `next start` child process, headless Chromium.

The UI bakes the server URL in at build time (NEXT_PUBLIC_API_URL), so the LangGraph server for these tests runs
on one fixed loopback port: `FRACTALOPS_CHAT_UI_PORT` (default 28124). The build is cached per port under
`.cache/agent-chat-ui/<port>` by `scripts/build-agent-chat-ui.sh`; the UI itself listens on any free port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = [
    "API_KEY_STORAGE",
    "BUILD_SCRIPT",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "ChatUI",
    "LoopbackGuard",
    "api_port",
    "build_ui",
    "wait_until",
]

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build-agent-chat-ui.sh"
CHROMIUM = os.environ.get("FRACTALOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
API_KEY_STORAGE = "lg:chat:apiKey"
"""localStorage key where the UI keeps the API key it sends as `x-api-key` (src/lib/api-key.tsx)."""


def api_port() -> int:
    raw = os.environ.get("FRACTALOPS_CHAT_UI_PORT", "28124")
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"FRACTALOPS_CHAT_UI_PORT={raw!r} is not a TCP port number")
    return int(raw)


def build_ui(port: int, timeout: float = 600.0) -> tuple[Path, float]:
    """Run the idempotent build script; return the build directory and the seconds it took (≈0 when cached)."""
    start = time.monotonic()
    proc = subprocess.run(["bash", str(BUILD_SCRIPT), str(port), "squad"], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{BUILD_SCRIPT} {port} failed with exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    dest = Path(proc.stdout.strip().splitlines()[-1])
    if not (dest / ".next" / "BUILD_ID").is_file():
        raise RuntimeError(f"{BUILD_SCRIPT} reported {dest} but it has no .next/BUILD_ID:\n{proc.stdout}")
    return dest, time.monotonic() - start


def wait_until(probe: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` and the last value after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)  # polling a remote state; the server offers no event we could block on here
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last value: {last!r}")


@dataclass
class ChatUI:
    """`npx next start` for one build directory, in its own process group."""

    build_dir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.build_dir / f"next-start-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ChatUI:
        env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", "PORT": str(self.port)}
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(["npx", "next", "start", "-H", "127.0.0.1", "-p", str(self.port)],
                                         cwd=self.build_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"next start exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    if client.get(self.url).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.2)  # polling the child's HTTP readiness; there is no event to wait on
        self.stop()
        raise RuntimeError(f"Agent Chat UI not ready on {self.url} after {timeout:.0f}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@dataclass
class LoopbackGuard:
    """A Playwright route handler: let loopback requests through, abort and record everything else."""

    blocked: list[str] = field(default_factory=list)

    def __call__(self, route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in {"127.0.0.1", "localhost", "::1"}:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()
