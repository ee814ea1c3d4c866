"""`fractalops evidence`: verify the Chronicle, show entries and artifacts, print inclusion proofs (read-only)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fractalops.cli.commands._client import JsonFlag, fail
from fractalops.errors import FractalOpsError
from fractalops.planes.evidence import (
    ArtifactStore,
    ChronicleLog,
    EvidenceRef,
    chronicle_dir,
    verify_inclusion,
)

__all__ = ["NAME", "app"]

NAME = "evidence"
app = typer.Typer(help="Chronicle evidence: verify the log, show entries, print proofs.", no_args_is_help=True)

LogOption = Annotated[str, typer.Option("--log", help="Log name.")]


def _open(log: str, as_json: bool) -> ChronicleLog:
    try:
        return ChronicleLog(chronicle_dir(), log, readonly=True)
    except FractalOpsError as exc:
        fail(exc, as_json)


@app.command("verify")
def verify(as_json: JsonFlag = False, log: LogOption = "main") -> None:
    """Re-derive every hash, root, signature and artifact under the Chronicle dir; exit 1 if anything is off."""
    chronicle = _open(log, as_json)
    result = chronicle.verify()
    if as_json:
        typer.echo(json.dumps({"ok": result.ok, "size": result.size, "first_bad": result.first_bad,
                               "reason": result.reason}))
    else:
        table = Table(title="Chronicle verify", show_header=False)
        table.add_row("chronicle dir", str(chronicle.root))
        table.add_row("log", log)
        table.add_row("status", "[green]ok[/green]" if result.ok else "[red]CORRUPT[/red]")
        table.add_row("entries", str(result.size))
        if not result.ok:
            table.add_row("first bad entry", "-" if result.first_bad is None else str(result.first_bad))
            table.add_row("reason", result.reason or "")
        Console().print(table)
    if not result.ok:
        raise typer.Exit(1)


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="chronicle://<log>/<index>#sha256:<hex> or an artifact sha256:<hex>.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a log entry (checked against the ref's leaf hash) or an artifact's metadata."""
    doc: dict[str, Any]
    try:
        if ref.startswith("sha256:"):
            store = ArtifactStore(chronicle_dir(), readonly=True)
            artifact = store.stat(ref)
            store.get(artifact)  # checks the bytes still hash to the ref
            doc = {"ref": artifact.uri, "media_type": artifact.media_type, "size": artifact.size}
        else:
            parsed = EvidenceRef.parse(ref)
            doc = {"ref": parsed.uri, "entry": _open(parsed.log, as_json).lookup(parsed)}
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    table = Table(show_header=False, title="Chronicle evidence")
    for key, value in doc.items():
        table.add_row(key, json.dumps(value, indent=2, ensure_ascii=False) if key == "entry" else str(value))
    Console().print(table)


@app.command("proof")
def proof(
    index: Annotated[int, typer.Argument(help="Entry index.")],
    as_json: JsonFlag = False,
    log: LogOption = "main",
    size: Annotated[int | None, typer.Option("--size", help="Tree size (default: current size).")] = None,
) -> None:
    """Print the RFC 6962 inclusion proof (audit path) of an entry, checked against the root before printing."""
    chronicle = _open(log, as_json)
    try:
        tree_size = chronicle.size if size is None else size
        path = chronicle.inclusion_proof(index, tree_size)
        leaf, root = chronicle.leaf_hash(index), chronicle.root_hash(tree_size)
    except FractalOpsError as exc:
        fail(exc, as_json)
    doc = {
        "log": log,
        "index": index,
        "size": tree_size,
        "ref": chronicle.ref(index).uri,
        "leaf_hash": leaf.hex(),
        "root": root.hex(),
        "audit_path": [p.hex() for p in path],
        "verified": verify_inclusion(leaf, index, tree_size, path, root),
    }
    if as_json:
        typer.echo(json.dumps(doc))
    else:
        table = Table(title="Chronicle inclusion proof", show_header=False)
        for key in ("log", "index", "size", "ref", "leaf_hash", "root", "verified"):
            table.add_row(key, str(doc[key]))
        for step, node in enumerate(doc["audit_path"]):
            table.add_row(f"path[{step}]", node)
        Console().print(table)
    if not doc["verified"]:
        raise typer.Exit(1)
