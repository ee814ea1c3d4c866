"""`fractalops secrets`: store (value from stdin, never argv), list (refs only) and delete secrets on the server.

The server holds the secret backend (OpenBao when it has FRACTALOPS_OPENBAO_ADDR, else its local one); these are
operator-only routes. A value travels only in the request body and is never printed.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import CliError, JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)

RefArg = Annotated[str, typer.Argument(metavar="REF", help="openbao://<mount>/<path>#<field>")]


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
    value = _read_value()
    if not value:
        raise CliError(f"no value on stdin for {ref}; pipe it in, e.g. "
                       f"`printf %s \"$TOKEN\" | fractalops secrets put {ref}`", error_type="SecretError")
    stored = server().put("/secrets", {"ref": ref, "value": value})
    if as_json:
        emit_json(stored)
    else:
        out.echo(f"stored {stored['ref']} in the server's {stored['backend']} backend")


@app.command("list")
def list_refs(as_json: JsonFlag = False) -> None:
    """List the refs the server's backend holds; never the values."""
    document = server().get("/secrets")
    if as_json:
        emit_json(document["refs"])
        return
    out.table(["ref"], [(r["ref"],) for r in document["refs"]],
              title=f"secrets ({document['backend']} backend; values never shown)")


@app.command("delete")
def delete(ref: RefArg, as_json: JsonFlag = False) -> None:
    """Delete the secret at REF."""
    deleted = server().delete("/secrets", ref=ref)
    if as_json:
        emit_json(deleted)
    else:
        out.echo(f"deleted {deleted['ref']}")
