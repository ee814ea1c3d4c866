"""Telemetry intake over HTTP, thin: read the body (capped), hand it to `planes.telemetry`, answer as clients expect.

- PostHog (`/batch/`, `/capture/`, `/e/`, `/i/v0/e/`; `/flags/` answers no flags): no API key, the project key in the
  body (`FRACTALOPS_POSTHOG_KEYS`) is the authentication. 200 `{"status": 1, ...}` when the body was taken — also when
  some events were quarantined; 400/401/413/415 for a body refused whole (the client drops it); 503 only when nothing
  was stored (the client retries, and idempotency by uuid makes the retry exact).
- OTLP/HTTP (`/v1/traces`, `/v1/logs`): `x-api-key` of a `telemetry` or `operator` key; the key's project. 200 with an
  `Export*ServiceResponse` (with `partial_success` naming the quarantined count) in the request's encoding; failures
  carry a `google.rpc.Status`; 503 (retried by OTel exporters) only when nothing was stored.
- A body refused whole is counted as `refused` for its source: undecodable, over the limit, a wrong or missing key
  (PostHog's in the body; OTLP's refused by the surface, 401, or by the access table, 403).
- `/v1/metrics` is forwarded to Mimir when `FRACTALOPS_METRICS_OTLP_URL` is set, else 404.
- Operators: `GET /telemetry/stats`, `GET /telemetry/quarantine`, `GET /telemetry/quarantine/raw`,
  `POST /telemetry/replay-quarantine`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fractalops.errors import (
    ConfigError,
    EvidenceError,
    FractalOpsError,
    TelemetryBodyError,
    TelemetryError,
    WarehouseError,
)
from fractalops.planes.evidence import ArtifactRef
from fractalops.planes.telemetry import (
    Source,
    TelemetryIntake,
    decompressed,
    forward_metrics,
    max_body_bytes,
    metrics_url,
    project_for_key,
    wire_cap,
)
from fractalops.planes.telemetry import otlp as otlp_codec
from fractalops.planes.telemetry.posthog import flags_key
from fractalops.runtime import squad_resources
from fractalops.server.route_io import BodyError, failure, json_object
from fractalops.server.routing import caller, error, guarded_route, public_intake_route
from fractalops.server.surface import POSTHOG_PATHS, on_key_refused

__all__ = ["routes", "intake"]

_log = logging.getLogger(__name__)
_UNAVAILABLE = (WarehouseError, EvidenceError, TelemetryError, sqlite3.Error, OSError)
"""Storage failures: nothing was acknowledged, so the client may retry (503)."""
_FLAGS = {"flags": {}, "errorsWhileComputingFlags": False}
_PAGE_MAX = 1000


@lru_cache(maxsize=4)
def _intake(root: Path) -> TelemetryIntake:
    resources = squad_resources()
    return TelemetryIntake(root, warehouse=resources.warehouse, artifacts=lambda: resources.chronicle().artifacts,
                           semantics=resources.semantics)


def intake() -> TelemetryIntake:
    """This server's telemetry intake (one per data dir)."""
    return _intake(squad_resources().root)


def _refuse(source: Source, project: str, error: TelemetryBodyError) -> None:
    intake().refuse(source, project, error)


async def _body(request: Request) -> bytes:
    """The raw body, read no further than a compressed body of the decoded limit could be."""
    cap = wire_cap(max_body_bytes())
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise TelemetryBodyError(413, f"request body is {declared} bytes; the telemetry intake takes at most {cap} on "
                                      "the wire (FRACTALOPS_TELEMETRY_MAX_BODY after decompression)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TelemetryBodyError(413, f"request body is over {cap} bytes on the wire; send smaller batches")
        chunks.append(chunk)
    return b"".join(chunks)


def _encoding(request: Request) -> str:
    encoding = request.headers.get("content-encoding", "")
    # posthog-js gzips without the header and says so in the query string
    compression = request.query_params.get("compression", "")
    if not encoding and compression in ("gzip", "gzip-js"):
        return "gzip"
    if not encoding and compression and compression not in ("none", "identity"):
        raise TelemetryBodyError(415, f"compression={compression!r} is not supported; send gzip or nothing")
    return encoding


# -- PostHog -----------------------------------------------------------------------------------------------------

def _posthog_error(status: int, message: str) -> JSONResponse:
    kind = {401: "authentication_error", 503: "server_error", 500: "server_error"}.get(status, "validation_error")
    return JSONResponse({"type": kind, "code": str(status), "detail": message, "error": message}, status_code=status)


async def posthog_capture(request: Request) -> Response:
    try:
        body = await _body(request)
        encoding = _encoding(request)
    except TelemetryBodyError as exc:
        await asyncio.to_thread(_refuse, Source.POSTHOG, "", exc)
        return _posthog_error(exc.status, str(exc))
    try:
        outcome = await asyncio.to_thread(lambda: intake().posthog(body, encoding=encoding))
    except TelemetryBodyError as exc:
        return _posthog_error(exc.status, str(exc))
    except ConfigError as exc:
        return _posthog_error(500, f"server telemetry configuration is broken: {exc}")
    except _UNAVAILABLE as exc:
        _log.warning("PostHog batch not stored (the client retries): %s", exc)
        return _posthog_error(503, f"nothing was stored, retry: {exc}")
    return JSONResponse({"status": 1, **outcome.as_json(), "reasons": outcome.reasons})


async def posthog_flags(request: Request) -> Response:
    # No feature flags here; the project key is still checked, as for capture.
    try:
        key = flags_key(decompressed(await _body(request), _encoding(request), max_body_bytes()))
        known = bool(key) and project_for_key(key) is not None
    except TelemetryBodyError as exc:
        return _posthog_error(exc.status, str(exc))
    except ConfigError as exc:
        return _posthog_error(500, f"server telemetry configuration is broken: {exc}")
    if not known:
        return _posthog_error(401, "no known project API key in the body: send it as `api_key` (or `token`)")
    return JSONResponse(_FLAGS)


# -- OTLP --------------------------------------------------------------------------------------------------------

def _otlp_error(status: int, message: str, media: str) -> Response:
    return Response(otlp_codec.status_body(status, message, media), status_code=status, media_type=media)


def _request_media(request: Request) -> str:
    try:
        return otlp_codec.media_type_of(request.headers.get("content-type", ""))
    except TelemetryBodyError:
        return otlp_codec.PROTOBUF


async def _otlp(request: Request, source: Source) -> Response:
    media = _request_media(request)
    project = caller(request).telemetry_project
    try:
        body = await _body(request)
    except TelemetryBodyError as exc:
        await asyncio.to_thread(_refuse, source, project, exc)
        return _otlp_error(exc.status, str(exc), media)
    try:
        encoding, content_type = request.headers.get("content-encoding", ""), request.headers.get("content-type", "")
        outcome, media = await asyncio.to_thread(
            lambda: intake().otlp(source, project, body, encoding=encoding, content_type=content_type))
    except TelemetryBodyError as exc:
        return _otlp_error(exc.status, str(exc), media)
    except _UNAVAILABLE as exc:
        _log.warning("OTLP %s not stored (the exporter retries 503): %s", source, exc)
        return _otlp_error(503, f"nothing was stored, retry: {exc}", media)
    message = "; ".join(outcome.reasons)[:2000]
    answer = otlp_codec.trace_response if source is Source.OTEL_TRACES else otlp_codec.logs_response
    return Response(answer(outcome.quarantined, message, media), media_type=media)


async def _count_key_refusal(source: Source, project: str, status: int, detail: str) -> None:
    try:
        await asyncio.to_thread(_refuse, source, project, TelemetryBodyError(status, detail))
    except (*_UNAVAILABLE, FractalOpsError) as exc:  # the refusal is answered anyway; only its count is lost
        _log.warning("a refused OTLP %s body was not counted: %s", source, exc)


def _on_surface_refusal(source: Source) -> Any:
    async def heard(status: int, detail: str) -> None:
        # no valid key, so no project: counted under "" as PostHog's wrong keys are
        await _count_key_refusal(source, "", status, detail)
    return heard


def _on_table_refusal(source: Source) -> Any:
    async def heard(request: Request) -> None:
        await _count_key_refusal(source, caller(request).telemetry_project, 403, "this key may not send telemetry")
    return heard


async def otlp_traces(request: Request) -> Response:
    return await _otlp(request, Source.OTEL_TRACES)


async def otlp_logs(request: Request) -> Response:
    return await _otlp(request, Source.OTEL_LOGS)


async def otlp_metrics(request: Request) -> Response:
    media = _request_media(request)
    url = metrics_url()
    if url is None:
        return _otlp_error(404, "no metrics intake: metrics go to Mimir, and FRACTALOPS_METRICS_OTLP_URL is not set",
                           media)
    try:
        forwarded = await forward_metrics(url, await _body(request), project=caller(request).telemetry_project,
                                          content_type=request.headers.get("content-type", ""),
                                          encoding=request.headers.get("content-encoding", ""))
    except TelemetryBodyError as exc:
        return _otlp_error(exc.status, str(exc), media)
    except httpx.HTTPError as exc:
        return _otlp_error(503, f"the metrics backend at {url} is unreachable: {exc}", media)
    return Response(forwarded.body, status_code=forwarded.status, media_type=forwarded.content_type)


# -- operators ---------------------------------------------------------------------------------------------------

def stats(request: Request) -> JSONResponse:
    return JSONResponse(intake().store.stats(project=request.query_params.get("project") or None))


def _query_int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, "")
    if not value:
        return default
    if not value.isdigit():
        raise TelemetryError(f"query parameter {name}={value!r} must be a non-negative integer")
    return int(value)


def quarantine(request: Request) -> JSONResponse:
    params = request.query_params
    try:
        after = _query_int(request, "cursor", 0)
        limit = min(_query_int(request, "limit", 100), _PAGE_MAX) or 100
    except TelemetryError as exc:
        return failure(422, exc)
    state = params.get("state", "waiting")
    rows, following = intake().store.quarantine_page(
        after=after, limit=limit, state=None if state == "all" else state, source=params.get("source") or None,
        project=params.get("project") or None)
    return JSONResponse({"items": [r.public() for r in rows], "next": str(following) if following else None})


def quarantine_raw(request: Request) -> JSONResponse:
    ref = request.query_params.get("ref", "")
    try:
        ArtifactRef.parse(ref)
        found = intake().raw_payload(ref)
    except EvidenceError as exc:
        return failure(404 if "not in the store" in str(exc) else 422, exc)
    if found is None:
        return error(404, f"{ref} is the raw payload of no quarantined item; list them with `fractalops telemetry "
                          "quarantine`")
    row, raw = found
    if row.media_type == otlp_codec.PROTOBUF:
        text = otlp_codec.as_otlp_json(raw, row.media_type, "traces" if row.source == Source.OTEL_TRACES else "logs")
    else:
        text = raw.decode("utf-8", errors="replace")
    return JSONResponse({"raw_ref": ref, "source": row.source, "project": row.project, "reason": row.reason,
                         "state": row.state, "media_type": row.media_type, "size": len(raw), "text": text,
                         "base64": base64.b64encode(raw).decode()})


async def replay_quarantine(request: Request) -> JSONResponse:
    try:
        body = await json_object(request, '{"project": "<name>" | null, "source": "posthog" | "otel_traces" | '
                                          '"otel_logs" | null}')
    except BodyError as exc:
        return error(exc.status, str(exc))
    project, source = body.get("project") or None, body.get("source") or None
    try:
        chosen = Source(source) if source else None
    except ValueError:
        return error(422, f"source {source!r} is not one of {', '.join(Source)}")
    if project is not None and not isinstance(project, str):
        return error(422, "project must be a string or null")
    try:
        result = await asyncio.to_thread(lambda: intake().replay(project=project, source=chosen))
    except _UNAVAILABLE as exc:
        return failure(503, exc)
    except FractalOpsError as exc:
        return failure(400, exc)
    return JSONResponse(dict(result))


def _posthog_routes() -> list[Any]:
    return [public_intake_route(path, posthog_flags if path == "/flags/" else posthog_capture)
            for path in POSTHOG_PATHS]


routes = [
    *_posthog_routes(),
    guarded_route("/v1/traces", otlp_traces, "telemetry", method="POST", action="write",
                  on_refused=_on_table_refusal(Source.OTEL_TRACES)),
    guarded_route("/v1/logs", otlp_logs, "telemetry", method="POST", action="write",
                  on_refused=_on_table_refusal(Source.OTEL_LOGS)),
    guarded_route("/v1/metrics", otlp_metrics, "telemetry", method="POST", action="write"),
    guarded_route("/telemetry/stats", stats, "telemetry"),
    guarded_route("/telemetry/quarantine", quarantine, "telemetry"),
    guarded_route("/telemetry/quarantine/raw", quarantine_raw, "telemetry"),
    guarded_route("/telemetry/replay-quarantine", replay_quarantine, "telemetry", method="POST", action="replay"),
]
"""Spliced into `fractalops.server.app`'s route list."""
on_key_refused("POST", "/v1/traces", _on_surface_refusal(Source.OTEL_TRACES))
on_key_refused("POST", "/v1/logs", _on_surface_refusal(Source.OTEL_LOGS))
