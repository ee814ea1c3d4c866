"""`fractalops evidence`: verify the Chronicle (against its witnesses), show entries and artifacts, print proofs.

Every subcommand asks the server by default (it owns the data dir; operator keys only). With `--data-dir D` it
reads D offline instead; D must exist, and nothing is ever created there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import CliError, JsonFlag, fail, server
from fractalops.errors import EvidenceError, FractalOpsError, WarehouseOwnedError
from fractalops.planes.evidence import ArtifactRef, EvidenceRef, chronicle_dir

__all__ = ["NAME", "app"]

NAME = "evidence"
app = typer.Typer(help="Chronicle evidence: verify the log, show entries, print proofs.", no_args_is_help=True)

LogOption = Annotated[str, typer.Option("--log", help="Log name.")]
DataDirOption = Annotated[Path | None, typer.Option(
    "--data-dir", help="Read this data dir offline instead of asking the server (it must exist; nothing is created).")]


def _from_server(path: str, params: dict[str, str], as_json: bool) -> dict[str, Any]:
    """GET one of the server's `/evidence/*` documents; a refusal keeps the server's message and error type."""
    try:
        return server().get(path, **params)
    except CliError as exc:
        if exc.error_type == "ServerUnreachable":
            raise CliError(f"{exc.message}; or read a data dir offline with --data-dir D", error_type=exc.error_type,
                           **exc.extra) from None
        raise


def _offline_root(data_dir: Path, as_json: bool) -> Path:
    root = data_dir.expanduser().resolve()
    if not root.is_dir():
        _fail_missing(f"no data dir at {root}: nothing to verify there (this command never creates one); name the "
                      "server's data dir, or drop --data-dir to ask the server", as_json)
    return root


def _fail_missing(message: str, as_json: bool) -> NoReturn:
    fail(EvidenceError(message), as_json)


def _offline_warehouse(root: Path) -> tuple[Any, str]:
    """The data dir's warehouse opened for reading, or None and why it is not a source here."""
    from fractalops.planes.warehouse import clickhouse_url, open_warehouse

    url = clickhouse_url()
    path = root / "warehouse"
    if not url and not path.is_dir():
        return None, f"no warehouse at {path}"
    try:
        warehouse = open_warehouse(url=url, migrate=False) if url else open_warehouse(root, migrate=False)
    except WarehouseOwnedError as exc:
        return None, f"{exc}; verify through that server (drop --data-dir) to check the warehouse's witnesses too"
    except FractalOpsError as exc:
        return None, f"cannot open the warehouse: {exc}"
    if warehouse.schema_version() < 3:  # from before Chronicle witnesses existed: it holds none
        version = warehouse.schema_version()
        warehouse.close()
        return None, f"warehouse schema v{version} predates Chronicle witnesses"
    return warehouse, ""


def _verify_offline(data_dir: Path, log: str, allow_unsigned_tail: bool, as_json: bool) -> dict[str, Any]:
    from fractalops.planes.chronicle_audit import verify_data_dir
    from fractalops.planes.proposals import ChronicleWitnessStore, ProposalStore

    root = _offline_root(data_dir, as_json)
    store_path = root / "proposals.sqlite"
    have_store = store_path.is_file()
    warehouse, note = _offline_warehouse(root)
    try:
        document = verify_data_dir(
            root, log=log, allow_unsigned_tail=allow_unsigned_tail,
            proposals=ProposalStore(store_path) if have_store else None,
            witnesses=ChronicleWitnessStore(store_path) if have_store else None,
            warehouse=warehouse, warehouse_note=note)
    except FractalOpsError as exc:
        fail(exc, as_json)
    finally:
        if warehouse is not None:
            warehouse.close()
    entries = chronicle_dir(root) / "logs" / log / "entries.log"
    if document["ok"] and not entries.is_file():
        _fail_missing(f"no Chronicle log {log!r} at {entries}: nothing was recorded in {root}, or the log was "
                      "deleted (no witness or evidenced proposal there says which)", as_json)
    return document


def _print_verify(document: dict[str, Any], where: str) -> None:
    status = "CORRUPT" if "integrity" in document["failed"] else "FAILED"
    pairs = [("verified", where), ("chronicle dir", document["chronicle_dir"]), ("log", document["log"]),
             ("status", "ok" if document["ok"] else status), ("entries", document["size"]),
             ("signed / witnessed size", f"{document['signed_size']} / {document['witnessed_size']}")]
    pairs += [(check["name"], f"{'ok' if check['ok'] else 'FAILED'} {check['detail']}") for check in document["checks"]]
    for source in document["sources"]:
        count = "not read" if source["witnesses"] is None else f"{source['witnesses']} witness(es)"
        pairs.append((f"source {source['name']}", f"{count} {source['location']} {source['note']}".strip()))
    if not document["ok"]:
        pairs += [("first bad entry", "-" if document["first_bad"] is None else document["first_bad"]),
                  ("reason", document["reason"] or "")]
    out.fields(pairs, title="Chronicle verify")


@app.command("verify")
def verify(
    as_json: JsonFlag = False,
    log: LogOption = "main",
    allow_unsigned_tail: Annotated[bool, typer.Option(
        "--allow-unsigned-tail", help="Accept entries beyond the newest signed checkpoint.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Re-derive the Chronicle and check it against its witnesses (rollback, swap, unsigned tail); exit 1 if off."""
    if data_dir is None:
        params = {"log": log, "allow_unsigned_tail": "1" if allow_unsigned_tail else "0"}
        document = _from_server("/evidence/verify", params, as_json)
        where = "through the server"
    else:
        document = _verify_offline(data_dir, log, allow_unsigned_tail, as_json)
        where = f"offline, {data_dir}"
    if as_json:
        typer.echo(json.dumps(document))
    else:
        _print_verify(document, where)
    if not document["ok"]:
        raise typer.Exit(1)


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="chronicle://<log>/<index>#sha256:<hex> or an artifact sha256:<hex>.")],
    as_json: JsonFlag = False,
    data_dir: DataDirOption = None,
) -> None:
    """Show a log entry (checked against the ref's leaf hash) or an artifact's metadata."""
    from fractalops.planes.chronicle_audit import entry_document

    try:
        ArtifactRef.parse(ref) if ref.startswith("sha256:") else EvidenceRef.parse(ref)  # say what is malformed first
        if data_dir is None:
            doc = _from_server("/evidence/entry", {"ref": ref}, as_json)
        else:
            doc = entry_document(chronicle_dir(_offline_root(data_dir, as_json)), ref)
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    out.fields([(key, json.dumps(value, ensure_ascii=False) if key == "entry" else value) for key, value in doc.items()],
               title="Chronicle evidence")


@app.command("proof")
def proof(
    index: Annotated[int, typer.Argument(help="Entry index.")],
    as_json: JsonFlag = False,
    log: LogOption = "main",
    size: Annotated[int | None, typer.Option("--size", help="Tree size (default: current size).")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Print the RFC 6962 inclusion proof (audit path) of an entry, checked against the root before printing."""
    from fractalops.planes.chronicle_audit import proof_document

    if index < 0 or (size is not None and size < 0):
        fail(EvidenceError(f"entry index and --size must be non-negative, got {index} and {size}"), as_json)
    try:
        if data_dir is None:
            params = {"index": str(index), "log": log, **({"size": str(size)} if size is not None else {})}
            doc = _from_server("/evidence/proof", params, as_json)
        else:
            doc = proof_document(chronicle_dir(_offline_root(data_dir, as_json)), index, log=log, size=size)
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(doc))
    else:
        out.fields([*((key, doc[key]) for key in ("log", "index", "size", "ref", "leaf_hash", "root", "verified")),
                    *((f"path[{step}]", node) for step, node in enumerate(doc["audit_path"]))],
                   title="Chronicle inclusion proof")
    if not doc["verified"]:
        raise typer.Exit(1)
