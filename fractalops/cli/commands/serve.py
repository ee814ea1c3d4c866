"""`fractalops serve`: the LangGraph server with the squad on embedded defaults, optionally with a demo thread."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from fractalops.cli.commands._client import api_key, console, fail
from fractalops.cli.demo import ensure_demo_workspace, launch_demo_thread
from fractalops.cli.devserver import DevServer, studio_url
from fractalops.errors import FractalOpsError
from fractalops.server.keys import ensure_dev_key
from fractalops.settings import DEFAULT_SERVER_URL, data_dir

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
        console.print(f"API keys: {root / 'api_keys.json'} (or FRACTALOPS_API_KEYS); the CLI uses the single key there")
        if demo:
            demo_thread = launch_demo_thread(server.url, api_key(), ensure_demo_workspace(root))
            thread_id = demo_thread["thread_id"]
            waiting = len(demo_thread["state"].get("interrupts") or [])
            env = "" if server.url == DEFAULT_SERVER_URL else f"FRACTALOPS_SERVER_URL={server.url} "
            cli = f"{env}.venv/bin/fractalops"
            console.print(f"\n[bold]demo thread {thread_id}[/] is "
                          f"{'waiting for approval' if waiting else 'not waiting (see its HUD)'}")
            # soft_wrap: the commands must stay on one line so they can be copied as they are
            console.print(f"  see it:      {cli} show {thread_id}", soft_wrap=True, highlight=False)
            console.print(f"  approve it:  {cli} approve {thread_id}", soft_wrap=True, highlight=False)
            console.print(f"  reject it:   {cli} reject {thread_id} --message 'why'", soft_wrap=True, highlight=False)
        console.print("Ctrl-C to stop.")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(1.0):
            if server.proc is not None and server.proc.poll() is not None:
                fail(f"the LangGraph server exited with {server.proc.returncode}; see {server.log_path}")
        console.print("stopping (threads are persisted on SIGTERM)…")
        server.stop()
