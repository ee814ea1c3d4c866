"""Run `langgraph dev` as a child process on a known loopback port, with all state under the data dir.

Used by `fractalops serve` (and `make dev`), by the end-to-end tests and by the benchmarks. `langgraph dev`
silently moves to another port when the requested one is taken, so the port is checked before start and
readiness is only accepted from `GET /ok` on that exact port while our child is alive.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fractalops.errors import ConfigError

__all__ = ["DevServer", "free_port", "PROJECT_CONFIG", "studio_url"]

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "langgraph.json"
"""The repo's `langgraph.json` (the project is installed editable, so this path is the checkout's)."""

OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGSMITH_TRACING": "false",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING_V2": "false",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def studio_url(url: str) -> str:
    return f"https://smith.langchain.com/studio/?baseUrl={url}"


class DevServer:
    """One `langgraph dev` child process; its cwd (and `.langgraph_api/` pickles) live under the data dir."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 2024,
        host: str = "127.0.0.1",
        config: Path = PROJECT_CONFIG,
        jobs_per_worker: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port, self.host, self.config = port, host, config
        self.jobs_per_worker = jobs_per_worker
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.workdir = self.data_dir / "server"
        self.log_path = self.workdir / "server.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cli = Path(sys.executable).with_name("langgraph")
        argv = [str(cli), "dev", "--no-browser", "--no-reload", "--host", self.host, "--port", str(self.port),
                "--config", str(self.config)]
        if self.jobs_per_worker:
            argv += ["--n-jobs-per-worker", str(self.jobs_per_worker)]
        return argv

    def start(self, timeout: float = 90.0) -> DevServer:
        if _port_taken(self.host, self.port):
            raise ConfigError(f"port {self.port} on {self.host} is already in use; stop that server or pick --port")
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **OFFLINE_ENV, "FRACTALOPS_DATA_DIR": str(self.data_dir), **self.extra_env}
        # The server imports the checkout whose langgraph.json it serves (not whichever one pip installed).
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_CONFIG.parent), env.get("PYTHONPATH", "")) if p)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    raise ConfigError(f"langgraph dev exited with {self.proc and self.proc.returncode}; "
                                      f"see {self.log_path}:\n{self.tail()}")
                try:
                    if client.get(f"{self.url}/ok").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)  # polling a child's health endpoint; there is no event to wait on
        raise ConfigError(f"langgraph dev not ready on {self.url} after {timeout:.0f}s; see {self.log_path}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        """SIGTERM lets the dev runtime persist its threads; SIGKILL (`kill()`) does not."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)

    def kill(self) -> int | None:
        return self.stop(signal.SIGKILL, timeout=10)

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
