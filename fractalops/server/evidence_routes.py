"""The Chronicle over the server: `/evidence/verify`, `/evidence/entry`, `/evidence/proof` (access table: `evidence`).

The server owns the data dir (and the embedded warehouse, whose single writer it is), so `fractalops evidence ...`
asks it by default; the documents come from `planes.chronicle_audit`, which the CLI also runs offline on a data dir
the user names.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.errors import EvidenceError, FractalOpsError
from fractalops.planes.chronicle_audit import entry_document, proof_document, verify_data_dir
from fractalops.planes.evidence import chronicle_dir
from fractalops.server.routing import guarded_route

__all__ = ["routes"]


def _error(status: int, message: str, error_type: str) -> JSONResponse:
    return JSONResponse({"error": message, "error_type": error_type}, status_code=status)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in {"1", "true", "yes"}


def _int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise EvidenceError(f"query parameter {name}={value!r} must be a non-negative integer")
    return int(value)


def _data_dir() -> Path:
    from fractalops.runtime.resources import squad_resources

    return squad_resources().root


def verify(request: Request) -> JSONResponse:
    from fractalops.planes.proposals import open_witness_store
    from fractalops.runtime.resources import squad_resources

    resources = squad_resources()
    try:
        warehouse = resources.warehouse()
    except FractalOpsError as exc:
        return _error(503, f"the warehouse cannot be opened, so its Chronicle witnesses cannot be checked: {exc}",
                      type(exc).__name__)
    try:
        document = verify_data_dir(resources.root, log=request.query_params.get("log", "main"),
                                   allow_unsigned_tail=_flag(request, "allow_unsigned_tail"),
                                   proposals=resources.proposals, witnesses=open_witness_store(resources.root),
                                   warehouse=warehouse)
    except EvidenceError as exc:
        return _error(422, str(exc), type(exc).__name__)
    return JSONResponse(document)


def entry(request: Request) -> JSONResponse:
    ref = request.query_params.get("ref", "")
    try:
        return JSONResponse(entry_document(chronicle_dir(_data_dir()), ref))
    except EvidenceError as exc:
        return _error(404, str(exc), type(exc).__name__)


def proof(request: Request) -> JSONResponse:
    try:
        index = _int(request, "index")
        if index is None:
            raise EvidenceError("query parameter index=<entry index> is required")
        document = proof_document(chronicle_dir(_data_dir()), index, log=request.query_params.get("log", "main"),
                                  size=_int(request, "size"))
    except EvidenceError as exc:
        return _error(404, str(exc), type(exc).__name__)
    return JSONResponse(document)


routes = [guarded_route("/evidence/verify", verify, "evidence"), guarded_route("/evidence/entry", entry, "evidence"),
          guarded_route("/evidence/proof", proof, "evidence")]
"""Spliced into `fractalops.server.app`'s route list; the access table's `evidence` row decides who may (operators:
entries carry approvals, artifacts carry diffs)."""
