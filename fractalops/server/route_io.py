"""Our routes' input and output helpers: a size-capped JSON object body, and an error answer that names its kind.

An error answer is `{"error": <message>, "error_type": <exception class>}`, so the CLI reports a `SecretError` as a
`SecretError` and not as an HTTP status.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = ["BodyError", "json_object", "failure", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 1_000_000


class BodyError(Exception):
    """A request body that is not what the route takes (`status` 413, 415 or 422)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def json_object(request: Request, expected: str, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object; `expected` describes the shape for the error message."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyError(413, f"request body is {declared} bytes; this route takes at most {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # counted as it arrives: a body without a length cannot run past the cap
        size += len(chunk)
        if size > max_bytes:
            raise BodyError(413, f"request body is over {max_bytes} bytes; this route takes at most {max_bytes}")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if request.headers.get("content-encoding", "identity") not in ("", "identity"):
        raise BodyError(415, "send the body uncompressed (no Content-Encoding)")
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        # No excerpt of the body in the message: it may carry a secret value.
        raise BodyError(422, f"request body is not JSON; send {expected}") from None
    if not isinstance(body, dict):
        raise BodyError(422, f"request body must be a JSON object: {expected}")
    return body


def failure(status: int, exc: Exception) -> JSONResponse:
    """An error answer for `exc` (its message and class)."""
    return JSONResponse({"error": str(exc), "error_type": type(exc).__name__}, status_code=status)
