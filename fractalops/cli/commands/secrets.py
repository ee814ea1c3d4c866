"""`fractalops secrets`: store (value from stdin, never argv), list (refs only) and delete secrets."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fractalops.armory.secrets import SecretBackend, open_secret_backend, parse_secret_ref
from fractalops.cli.commands._client import fail
from fractalops.errors import FractalOpsError

__all__ = ["NAME", "app"]

NAME = "secrets"
app = typer.Typer(
    help="Secrets in the configured backend (OpenBao when FRACTALOPS_OPENBAO_ADDR is set, else local).",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document.")]
RefArg = Annotated[str, typer.Argument(help="openbao://<mount>/<path>#<field>")]


def _backend() -> SecretBackend:
    return open_secret_backend()


def _read_value() -> str:
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        return typer.prompt("secret value", hide_input=True, confirmation_prompt=True)
    value = sys.stdin.read()
    # One trailing newline comes from `echo` / a heredoc, not from the secret.
    if value.endswith("\r\n"):
        return value[:-2]
    return value[:-1] if value.endswith("\n") else value


@app.command("put")
def put(ref: RefArg, as_json: JsonFlag = False) -> None:
    """Store the value read from STDIN at REF (one trailing newline is dropped). Never pass it as an argument."""
    try:
        parsed = parse_secret_ref(ref)
        value = _read_value()
        if not value:
            raise FractalOpsError(f"no value on stdin for {parsed}; pipe it in, e.g. "
                                  f"`printf %s \"$TOKEN\" | fractalops secrets put {parsed}`")
        backend = _backend()
        backend.put(parsed, value)
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"ok": True, "ref": str(parsed), "backend": backend.name}))
    else:
        typer.echo(f"stored {parsed} in the {backend.name} backend")


@app.command("list")
def list_refs(as_json: JsonFlag = False) -> None:
    """List the refs the backend holds; never the values."""
    try:
        backend = _backend()
        refs = backend.list_refs()
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps([{"ref": str(r), "mount": r.mount, "path": r.path, "field": r.field} for r in refs]))
        return
    table = Table(title=f"secrets ({backend.name} backend; values never shown)")
    table.add_column("ref", overflow="fold")
    for ref in refs:
        table.add_row(str(ref))
    Console().print(table)


@app.command("delete")
def delete(ref: RefArg, as_json: JsonFlag = False) -> None:
    """Delete the secret at REF."""
    try:
        parsed = parse_secret_ref(ref)
        backend = _backend()
        backend.delete(parsed)
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"ok": True, "ref": str(parsed), "deleted": True}))
    else:
        typer.echo(f"deleted {parsed}")
