"""Telemetry request bodies, bounded after decompression: no body decodes to more than `max_body_bytes()`.

Decompression streams through `zlib.decompressobj(...).decompress(data, max_length)`, so a gzip bomb stops at the
limit instead of filling memory (`gzip.decompress` of unbounded input is never called). A truncated or corrupt stream
is a 400, a body over the limit a 413, an encoding we do not speak a 415 — each a `TelemetryBodyError`, and nothing
of such a body is stored.
"""

from __future__ import annotations

import os
import zlib

from fractalops.errors import ConfigError, TelemetryBodyError

__all__ = ["MAX_BODY_ENV", "DEFAULT_MAX_BODY_BYTES", "ENCODINGS", "max_body_bytes", "decompressed", "wire_cap"]

MAX_BODY_ENV = "FRACTALOPS_TELEMETRY_MAX_BODY"
DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
"""20 MiB: above the PostHog client's largest batch (about 6.2 MB uncompressed), below the server's 32 MiB cap."""
ENCODINGS = ("identity", "gzip", "x-gzip", "deflate")
"""Content-Encodings the intake decodes (OTel exporters send gzip or deflate, PostHog clients gzip)."""

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def max_body_bytes() -> int:
    """`FRACTALOPS_TELEMETRY_MAX_BODY` (bytes after decompression), default 20 MiB."""
    raw = os.environ.get(MAX_BODY_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{MAX_BODY_ENV} must be a positive whole number of bytes, got {raw!r}")
    return int(raw)


def wire_cap(limit: int) -> int:
    """How many bytes of a body to read off the wire at most: a compressed body is never larger than what it
    decodes to plus the format's overhead (stored deflate blocks add 5 bytes per 64 KiB, plus headers)."""
    return limit + limit // 1024 + 4096


def _over(limit: int) -> TelemetryBodyError:
    return TelemetryBodyError(413, f"request body decodes to more than {limit} bytes ({MAX_BODY_ENV}); send smaller "
                                   "batches")


def _inflate(data: bytes, wbits: int, limit: int, what: str) -> bytes:
    out = bytearray()
    pending = data
    while True:
        engine = zlib.decompressobj(wbits)
        try:
            while True:
                out += engine.decompress(pending, max(1, limit + 1 - len(out)))
                if len(out) > limit:
                    raise _over(limit)
                pending = engine.unconsumed_tail
                if engine.eof or not pending:
                    break
        except zlib.error as exc:
            raise TelemetryBodyError(400, f"request body is not valid {what} ({exc}); nothing was stored") from None
        if not engine.eof:
            raise TelemetryBodyError(400, f"request body is truncated {what} (the stream ends before its end marker); "
                                          "nothing was stored")
        pending = engine.unused_data
        # gzip allows several members one after the other; anything else after the end is garbage
        if not pending:
            return bytes(out)
        if wbits != 16 + zlib.MAX_WBITS or not pending.startswith(_GZIP_MAGIC):
            raise TelemetryBodyError(400, f"request body has {len(pending)} byte(s) after the end of its {what} "
                                          "stream; nothing was stored")


def decompressed(body: bytes, encoding: str, limit: int) -> bytes:
    """The body decoded from `encoding` (a Content-Encoding value, or `gzip` for PostHog's `compression=gzip-js`),
    refused with a `TelemetryBodyError` when it is corrupt, truncated or decodes to more than `limit` bytes."""
    name = (encoding or "identity").strip().lower()
    if name in ("", "identity"):
        if len(body) > limit:
            raise _over(limit)
        return body
    if name in ("gzip", "x-gzip"):
        return _inflate(body, 16 + zlib.MAX_WBITS, limit, "gzip")
    if name == "deflate":
        # RFC 9110 deflate is zlib-wrapped; some senders send raw deflate: the zlib header tells them apart
        zlib_wrapped = len(body) >= 2 and (body[0] & 0x0F) == 8 and (body[0] << 8 | body[1]) % 31 == 0
        return _inflate(body, zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS, limit, "deflate")
    raise TelemetryBodyError(415, f"Content-Encoding {encoding!r} is not supported; send {', '.join(ENCODINGS)}")
