"""REST emission of MCPs to a DataHub GMS (`POST /aspects?action=ingestProposal`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

import httpx

from fractalops.errors import CatalogError
from fractalops.planes.catalog.datahub import MCP

__all__ = ["GMS_URL_ENV", "gms_url", "to_rest_proposal", "emit_to_gms"]

GMS_URL_ENV = "FRACTALOPS_DATAHUB_GMS_URL"
"""When set, `run_steward` also emits the report's MCPs to this GMS."""


def gms_url() -> str | None:
    value = os.environ.get(GMS_URL_ENV, "").strip().rstrip("/")
    return value or None


def to_rest_proposal(mcp: MCP) -> dict[str, Any]:
    """The GMS wire form: the aspect document as a JSON string with its content type."""
    return {
        "entityType": mcp["entityType"],
        "entityUrn": mcp["entityUrn"],
        "changeType": mcp["changeType"],
        "aspectName": mcp["aspectName"],
        "aspect": {"value": json.dumps(mcp["aspect"]["json"], sort_keys=True), "contentType": "application/json"},
    }


def emit_to_gms(mcps: Iterable[MCP], url: str, *, token: str | None = None, timeout: float = 10.0,
                client: httpx.Client | None = None) -> int:
    """POST every MCP to `<url>/aspects?action=ingestProposal`; returns how many were accepted.

    `token` is a resolved DataHub access token (resolve secret refs at the caller's boundary); it is sent
    as a bearer header and never logged. Raises `CatalogError` on the first refusal or transport error.
    """
    headers = {"Content-Type": "application/json", "X-RestLi-Protocol-Version": "2.0.0"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    endpoint = url.rstrip("/") + "/aspects?action=ingestProposal"
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    sent = 0
    try:
        for mcp in mcps:
            body = {"proposal": to_rest_proposal(mcp), "async": "false"}
            try:
                resp = http.post(endpoint, content=json.dumps(body), headers=headers)
            except httpx.HTTPError as exc:
                raise CatalogError(f"DataHub GMS at {url} unreachable ({type(exc).__name__}: {exc}); "
                                   f"check {GMS_URL_ENV} or unset it to only write the JSON file") from None
            if resp.status_code >= 300:
                raise CatalogError(
                    f"DataHub GMS at {url} refused {mcp['aspectName']} for {mcp['entityUrn']}: "
                    f"HTTP {resp.status_code} {resp.text[:200]!r} ({sent} accepted before it)"
                )
            sent += 1
    finally:
        if own:
            http.close()
    return sent
