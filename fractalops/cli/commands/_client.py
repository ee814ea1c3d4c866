"""Private: the CLI's `langgraph-sdk` client and its output helpers."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, NoReturn

import httpx
import typer
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from rich.console import Console
from rich.markup import escape

from fractalops.errors import ConfigError
from fractalops.server.keys import load_api_keys
from fractalops.settings import data_dir, server_url

__all__ = ["JsonFlag", "console", "err_console", "sdk", "api_key", "emit_json", "fail", "call", "ASSISTANT"]

ASSISTANT = "squad"
JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document for machines.")]
console = Console()
err_console = Console(stderr=True)


def api_key() -> str | None:
    """`FRACTALOPS_API_KEY`, else `LANGGRAPH_API_KEY`, else the data dir's key when it holds exactly one."""
    for name in ("FRACTALOPS_API_KEY", "LANGGRAPH_API_KEY"):
        if value := os.environ.get(name, "").strip():
            return value
    try:
        keys = load_api_keys(data_dir())
    except ConfigError:
        return None
    return next(iter(keys)) if len(keys) == 1 else None


def sdk() -> SyncLangGraphClient:
    return get_sync_client(url=server_url(), api_key=api_key())


def call(fn: Any, *args: Any, as_json: bool = False, **kwargs: Any) -> Any:
    """Run one SDK call; turn transport and HTTP errors into a one-line, actionable CLI error."""
    try:
        return fn(*args, **kwargs)
    except httpx.ConnectError:
        fail(f"no LangGraph server at {server_url()}: start it with `make dev` or `fractalops serve`", as_json,
             error_type="ServerUnreachable")
    except httpx.HTTPStatusError as exc:
        fail(f"server said {exc.response.status_code}: {exc.response.text[:300]}", as_json,
             error_type="HTTPStatusError", status=exc.response.status_code)


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def fail(
    error: str | BaseException, as_json: bool = False, code: int = 1, *, error_type: str | None = None, **extra: Any
) -> NoReturn:
    """How every command reports an error, then exits with `code`.

    With --json: one document on stdout, `{"ok": false, "error": <message>, "error_type": <exception class, or
    "Error" for a plain message>, ...extra}`; otherwise `error: <message>` on stderr.
    """
    message = str(error) or type(error).__name__
    if as_json:
        if error_type is None:
            error_type = type(error).__name__ if isinstance(error, BaseException) else "Error"
        emit_json({"ok": False, "error": message, "error_type": error_type, **extra})
    else:
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
