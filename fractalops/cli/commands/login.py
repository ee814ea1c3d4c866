"""`fractalops login URL`: check an API key against a server and store it for the CLI (0600 config file)."""

from __future__ import annotations

import sys
from typing import Annotated
from urllib.parse import urlsplit

import typer

from fractalops.cli import _output as out
from fractalops.cli._config import store_login
from fractalops.cli.commands._client import ENTERED, CliError, Found, JsonFlag, Server, emit_json

__all__ = ["app"]

app = typer.Typer()


def _read_key(from_stdin: bool) -> str:
    if not from_stdin and sys.stdin is not None and sys.stdin.isatty():
        return typer.prompt("API key", hide_input=True).strip()
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


@app.command()
def login(
    url: Annotated[str, typer.Argument(help="The server, e.g. http://127.0.0.1:2024.")],
    key_stdin: Annotated[bool, typer.Option("--key-stdin", help="Read the key from stdin (no prompt).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Store an API key for URL (checked against the server first) and make URL the default server."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise typer.BadParameter(f"{url!r} is not an http(s) URL such as http://127.0.0.1:2024", param_hint="URL")
    key = _read_key(key_stdin)
    if not key:
        raise CliError("no API key given: type it at the prompt, or pipe it in with "
                       f"`printf %s \"$KEY\" | fractalops login {url} --key-stdin`", error_type="NoApiKey")
    who = Server(Found(url, "login"), Found(key, ENTERED)).get("/whoami")
    path = store_login(url, key)
    roles = ", ".join(who.get("roles") or []) or "no roles"
    if as_json:
        emit_json({"ok": True, "url": url, "identity": who.get("identity"), "roles": who.get("roles") or [],
                   "config": str(path)})
        return
    out.echo(f"logged in to {url} as {who.get('identity')} ({roles}); key stored in {path} (mode 0600)")
