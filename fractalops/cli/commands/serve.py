"""`fractalops serve`: the LangGraph server with the squad on embedded defaults, optionally with a demo thread."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from fractalops.cli import _output as out
from fractalops.cli._config import DEFAULT_URL, api_key
from fractalops.cli.commands._client import CliError

__all__ = ["app"]

app = typer.Typer()


class _StopRequested(Exception):
    """SIGINT or SIGTERM: stop the server (it persists its threads) and exit 0."""


def _stop_requested(*_: object) -> None:
    raise _StopRequested


def _show_demo(root: Path, url: str) -> None:
    from fractalops.cli.demo import demo_thread, ensure_demo_workspace

    shown = demo_thread(url, api_key(url).value, ensure_demo_workspace(root))
    cli = ("" if url == DEFAULT_URL else f"FRACTALOPS_SERVER_URL={url} ") + ".venv/bin/fractalops"
    if shown.thread_id is None:
        out.echo(f"\nthe demo change is already applied in {root / 'demo-workspace'}", style="bold")
        return
    state = {"waiting": "waiting for approval", "applied": "already applied (nothing to decide)",
             "not_waiting": "not waiting (see its HUD)"}[shown.status]
    again = " (from an earlier start)" if shown.reused else ""
    out.echo(f"\ndemo thread {shown.thread_id}{again} is {state}", style="bold")
    out.echo(f"  see it:      {cli} show {shown.thread_id}")
    if shown.status == "waiting":
        out.echo(f"  approve it:  {cli} approve {shown.thread_id}")
        out.echo(f"  reject it:   {cli} reject {shown.thread_id} --message 'why'")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Loopback port for the server.")] = 2024,
    demo: Annotated[bool, typer.Option(help="Show a demo squad thread that waits for approval.")] = False,
    jobs: Annotated[int, typer.Option(help="Concurrent runs per worker.")] = 10,
) -> None:
    """Run `langgraph dev` with the squad (Ctrl-C stops it and persists the threads)."""
    from fractalops.api_keys import ensure_dev_key
    from fractalops.cli.devserver import DevServer, studio_url
    from fractalops.errors import FractalOpsError
    from fractalops.settings import data_dir

    root = data_dir()
    keys = root / "api_keys.json"
    if created := ensure_dev_key(root):
        out.echo(f"created a development API key (operator + approver) in {keys}: {created}", style="green")
    server = DevServer(root, port=port, jobs_per_worker=jobs)
    for sig in (signal.SIGINT, signal.SIGTERM):  # from here on, a signal stops the server we start, never orphans it
        signal.signal(sig, _stop_requested)
    try:
        server.start()
        out.echo(f"LangGraph server with the squad at {server.url} (data dir {root}, log {server.log_path})")
        out.echo(f"LangGraph Studio: {studio_url(server.url)}  (add header x-api-key: <your key>)")
        if "https://smith.langchain.com" not in os.environ.get("FRACTALOPS_CORS_ORIGINS", ""):
            out.echo("  Studio runs in your browser: start with FRACTALOPS_CORS_ORIGINS=https://smith.langchain.com "
                     "to let it reach this server (CORS is off by default)")
        out.echo(f"API keys: {keys} (or FRACTALOPS_API_KEYS); the CLI uses the single key there when run from this "
                 "directory")
        out.echo(f"from any other directory: fractalops login {server.url}  (paste the key from {keys})")
        if demo:
            _show_demo(root, server.url)
        out.echo("Ctrl-C to stop.")
        while server.proc is not None and server.proc.poll() is None:
            time.sleep(1.0)  # waiting for a signal (or for the server to die)
        raise CliError(f"the LangGraph server exited with {server.proc and server.proc.returncode}; "
                       f"see {server.log_path}")
    except _StopRequested:
        out.echo("stopping (threads are persisted on SIGTERM)…")
    except FractalOpsError as exc:
        raise CliError(str(exc), error_type=type(exc).__name__) from None
    finally:
        server.stop()
