"""`fractalops serve`: the LangGraph server with the squad on embedded defaults, optionally with a demo thread."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.panel import Panel

from fractalops.errors import FractalOpsError
from fractalops.portal.commands._client import api_key, console, fail
from fractalops.portal.demo import ensure_demo_workspace, launch_demo_thread
from fractalops.portal.devserver import DevServer, studio_url
from fractalops.portal.keys import ensure_dev_key
from fractalops.settings import data_dir

__all__ = ["ROOT", "register"]

ROOT = True


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        port: Annotated[int, typer.Option(help="Loopback port for the server.")] = 2024,
        demo: Annotated[bool, typer.Option(help="Launch a demo squad thread that waits for approval.")] = False,
        jobs: Annotated[int, typer.Option(help="Concurrent runs per worker.")] = 10,
    ) -> None:
        """Run `langgraph dev` with the squad (Ctrl-C stops it and persists the threads)."""
        root = data_dir()
        if created := ensure_dev_key(root):
            console.print(f"[green]created a development API key[/] (operator + approver) in {root / 'api_keys.json'}:"
                          f" [bold]{created}[/]")
        server = DevServer(root, port=port, jobs_per_worker=jobs)
        try:
            server.start()
        except FractalOpsError as exc:
            fail(str(exc))
        console.print(f"LangGraph server with the squad at [bold]{server.url}[/] (data dir {root}, log {server.log_path})")
        console.print(f"LangGraph Studio: {studio_url(server.url)}  (add header x-api-key: <your key>)")
        if demo:
            demo_thread = launch_demo_thread(server.url, api_key(), ensure_demo_workspace(root))
            thread_id = demo_thread["thread_id"]
            waiting = len(demo_thread["state"].get("interrupts") or [])
            console.print(Panel.fit(
                f"demo thread [bold]{thread_id}[/] is {'waiting for approval' if waiting else 'not waiting (see its HUD)'}\n"
                f"see it:      .venv/bin/fractalops show {thread_id}\n"
                f"approve it:  .venv/bin/fractalops approve {thread_id}\n"
                f"reject it:   .venv/bin/fractalops reject {thread_id} --message 'why'",
                title="demo"))
        console.print("Ctrl-C to stop.")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(1.0):
            if server.proc is not None and server.proc.poll() is not None:
                fail(f"the LangGraph server exited with {server.proc.returncode}; see {server.log_path}")
        console.print("stopping (threads are persisted on SIGTERM)…")
        server.stop()
