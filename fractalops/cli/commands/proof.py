"""`fractalops proof verify THREAD` (through the server, which owns the planes) and `proof check BUNDLE` (offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import JsonFlag, emit_json, fail, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


def _planes(verdict: dict[str, Any]) -> list[str]:
    """The planes a verdict covers, in the server's (or the bundle checker's) order."""
    return [k for k, v in verdict.items() if isinstance(v, dict) and "ok" in v and k != "bundle"]


def _print(verdict: dict[str, Any], title: str) -> None:
    out.table(["plane", "ok", "ref", "reason"],
              [(plane, "yes" if verdict[plane]["ok"] else "no", verdict[plane].get("ref") or "",
                verdict[plane].get("reason", "")) for plane in _planes(verdict)], title=title)
    if verdict["closed"]:
        out.echo("proof path closed", style="bold green")
    else:
        out.echo("proof path open", style="bold red")


def _contract(verdict: dict[str, Any]) -> dict[str, Any]:
    return {"closed": verdict["closed"], **{plane: verdict[plane] for plane in _planes(verdict)}}


@app.command()
def verify(
    thread_id: str,
    bundle: Annotated[Path | None, typer.Option("--bundle", metavar="FILE",
                                                help="Also write a self-contained proof bundle here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask every plane whether it holds the thread's proof; exit 0 only when the path is closed."""
    verdict = server().get(f"/threads/{thread_id}/proof", bundle="1" if bundle else None)
    if bundle is not None:
        bundle.write_text(json.dumps(verdict.pop("bundle"), indent=2, sort_keys=True))
    if as_json:
        emit_json(_contract(verdict))
    else:
        _print(verdict, f"proof of thread {thread_id}")
        if bundle is not None:
            out.echo(f"bundle written to {bundle}; check it offline with `fractalops proof check {bundle}`")
    raise typer.Exit(0 if verdict["closed"] else 1)


@app.command()
def check(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE")],
    public_key: Annotated[str | None, typer.Option(help="Pin the Chronicle signer (hex Ed25519 public key).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify an exported proof bundle offline (no server, no data dir)."""
    from fractalops.planes.proof import check_bundle  # offline: the planes' own checker, imported only here

    try:
        document = json.loads(bundle.read_bytes())
    except OSError as exc:
        fail(f"cannot read the bundle {bundle}: {exc.strerror}", code=2, error_type=type(exc).__name__)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        fail(f"{bundle} is not a JSON proof bundle: {exc}", code=2, error_type="BundleError")
    verdict = check_bundle(document, public_key=public_key)
    if as_json:
        emit_json(_contract(verdict))
    else:
        _print(verdict, f"offline check of {bundle}")
    raise typer.Exit(0 if verdict["closed"] else 1)
