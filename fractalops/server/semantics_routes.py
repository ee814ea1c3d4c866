"""The semantic graph, read through the server that writes it: describe an IRI, impact paths, check a vocabulary.

Operators and reviewers only (`semantics` in `server.access.POLICY`): the graph holds every thread's lineage.
`POST /semantics/terms/check` takes a local vocabulary's text (the CLI reads the user's file) and checks it against
the server's graph; it writes nothing.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path, PurePath
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.errors import FractalOpsError
from fractalops.planes.semantics import TermMap
from fractalops.runtime import squad_resources
from fractalops.server.route_io import BodyError, failure, json_object
from fractalops.server.routing import error, guarded_route

__all__ = ["routes"]

_CHECK_SHAPE = '{"filename": "<name>.yaml | <name>.ttl", "content": "<the vocabulary>", "project": null}'


def describe(request: Request) -> JSONResponse:
    iri = request.query_params.get("iri", "")
    if not iri:
        return error(422, "name the IRI: /semantics/describe?iri=<global IRI>")
    try:
        triples = squad_resources().semantics().describe(iri)
    except FractalOpsError as exc:
        return failure(422, exc)
    return JSONResponse({"ok": bool(triples), "iri": iri, "triples": [list(t) for t in triples]})


def impact(request: Request) -> JSONResponse:
    target = request.query_params.get("target", "")
    if not target:
        return error(422, "name the start: /semantics/impact?target=<IRI, dataset or project/dataset>")
    try:
        paths = squad_resources().semantics().impact_paths(target)
    except FractalOpsError as exc:
        return failure(422, exc)
    return JSONResponse({"ok": True, "target": target, "paths": paths})


def _check(filename: str, content: str, project: str | None) -> dict[str, Any]:
    # The vocabulary keeps its own file name (its suffix picks the parser, its stem is the default project).
    with tempfile.TemporaryDirectory(prefix="fo-terms-") as tmp:
        path = Path(tmp) / filename
        path.write_text(content, encoding="utf-8")
        try:
            term_map = TermMap.from_file(path, project=project, semantics=squad_resources().semantics())
            checks = term_map.check()
        except FractalOpsError as exc:
            exc.args = (str(exc).replace(str(path), filename),)  # the user's file name, not our temp path
            raise
    return {"ok": all(c.ok for c in checks), "project": term_map.project,
            "terms": [{"term": c.local_term, "global_iri": c.global_iri, "match": c.match, "ok": c.ok,
                       "reason": c.reason} for c in checks]}


async def terms_check(request: Request) -> JSONResponse:
    try:
        body = await json_object(request, _CHECK_SHAPE)
    except BodyError as exc:
        return error(exc.status, str(exc))
    filename, content, project = body.get("filename"), body.get("content"), body.get("project")
    if not isinstance(filename, str) or not isinstance(content, str) or not isinstance(project, str | None):
        return error(422, f"send {_CHECK_SHAPE}")
    name = PurePath(filename).name
    if not name or name in (".", ".."):
        return error(422, f"filename {filename!r} names no file")
    try:
        return JSONResponse(await asyncio.to_thread(_check, name, content, project or None))
    except FractalOpsError as exc:
        return failure(422, exc)


routes = [
    guarded_route("/semantics/describe", describe, "semantics"),
    guarded_route("/semantics/impact", impact, "semantics"),
    guarded_route("/semantics/terms/check", terms_check, "semantics", method="POST"),
]
"""Mounted by `server.app`."""
