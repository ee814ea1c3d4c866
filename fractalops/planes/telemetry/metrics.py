"""OTLP metrics are time series: they go to Mimir (`FRACTALOPS_METRICS_OTLP_URL`, its OTLP endpoint), not the warehouse.

The body is checked like every telemetry body (bounded after decompression, a 413 over the limit) and forwarded as
it came, with its Content-Type and Content-Encoding, and the sender's project as Mimir's tenant (`X-Scope-OrgID`).
The sender's API key is never forwarded. With no URL configured there is no metrics intake (404).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from fractalops.planes.telemetry.body import decompressed, max_body_bytes

__all__ = ["METRICS_URL_ENV", "TENANT_HEADER", "metrics_url", "Forwarded", "forward_metrics"]

METRICS_URL_ENV = "FRACTALOPS_METRICS_OTLP_URL"
TENANT_HEADER = "X-Scope-OrgID"
_TIMEOUT_S = 10.0


def metrics_url() -> str | None:
    """Mimir's OTLP metrics endpoint (e.g. `http://mimir:9009/otlp/v1/metrics`), or None."""
    return os.environ.get(METRICS_URL_ENV, "").strip() or None


@dataclass(frozen=True)
class Forwarded:
    """What the metrics backend answered (passed back to the sender as is)."""

    status: int
    body: bytes
    content_type: str


async def forward_metrics(url: str, body: bytes, *, project: str, content_type: str, encoding: str) -> Forwarded:
    """Forward one OTLP metrics body (raises `TelemetryBodyError` 413/400/415 before sending a bad one,
    `httpx.HTTPError` when the backend cannot be reached)."""
    decompressed(body, encoding, max_body_bytes())
    headers = {"Content-Type": content_type or "application/x-protobuf", TENANT_HEADER: project}
    if encoding and encoding.lower() != "identity":
        headers["Content-Encoding"] = encoding
    async with httpx.AsyncClient(timeout=_TIMEOUT_S) as client:
        response = await client.post(url, content=body, headers=headers)
    return Forwarded(response.status_code, response.content,
                     response.headers.get("content-type", "application/x-protobuf"))
