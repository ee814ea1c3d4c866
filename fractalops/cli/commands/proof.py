"""`fractalops proof verify THREAD` (through the server, which owns the warehouse) and `proof check BUNDLE` (offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fractalops.cli.commands._client import JsonFlag, call, console, emit_json, fail, sdk
from fractalops.planes.proof import PLANES, check_bundle

__all__ = ["NAME", "app"]

NAME = "proof"
app = typer.Typer(help="The proof path: graph + warehouse + Chronicle, per plane.", no_args_is_help=True)


def _print(verdict: dict[str, Any], title: str) -> None:
    table = Table("plane", "ok", "ref", "reason", title=title)
    for plane in PLANES:
        v = verdict[plane]
        table.add_row(plane, "[green]yes[/]" if v["ok"] else "[red]no[/]", str(v.get("ref") or ""), v.get("reason", ""))
    console.print(table)
    console.print("[bold green]proof path closed[/]" if verdict["closed"] else "[bold red]proof path open[/]")


def _contract(verdict: dict[str, Any]) -> dict[str, Any]:
    return {"closed": verdict["closed"], **{plane: verdict[plane] for plane in PLANES}}


@app.command()
def verify(
    thread_id: str,
    bundle: Annotated[Path | None, typer.Option("--bundle", help="Also write a self-contained proof bundle here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask every plane whether it holds the thread's proof; exit 0 only when the path is closed."""
    verdict = call(sdk().http.get, f"/threads/{thread_id}/proof" + ("?bundle=1" if bundle else ""), as_json=as_json)
    if bundle is not None:
        bundle.write_text(json.dumps(verdict.pop("bundle"), indent=2, sort_keys=True))
    if as_json:
        emit_json(_contract(verdict))
    else:
        _print(verdict, f"proof of thread {thread_id}")
        if bundle is not None:
            console.print(f"bundle written to {bundle}; check it offline with `fractalops proof check {bundle}`")
    raise typer.Exit(0 if verdict["closed"] else 1)


@app.command()
def check(
    bundle: Path,
    public_key: Annotated[str | None, typer.Option(help="Pin the Chronicle signer (hex Ed25519 public key).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify an exported proof bundle offline (no server, no data dir)."""
    try:
        document = json.loads(bundle.read_bytes())
    except OSError as exc:
        fail(f"cannot read the bundle {bundle}: {exc.strerror}", as_json, 2, error_type=type(exc).__name__)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        fail(f"{bundle} is not a JSON proof bundle: {exc}", as_json, 2, error_type="BundleError")
    verdict = check_bundle(document, public_key=public_key)
    if as_json:
        emit_json(_contract(verdict))
    else:
        _print(verdict, f"offline check of {bundle}")
    raise typer.Exit(0 if verdict["closed"] else 1)
