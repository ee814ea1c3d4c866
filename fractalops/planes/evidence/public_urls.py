"""Public evidence URLs: built only from, and accepted only for, the operator-configured hosts."""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

from fractalops.errors import EvidenceError
from fractalops.planes.evidence.refs import ArtifactRef, EvidenceRef

__all__ = ["PUBLIC_URL_ENV_VARS", "check_public_url", "public_evidence_url"]

PUBLIC_URL_ENV_VARS = (
    "FRACTALOPS_EVIDENCE_PUBLIC_BASE_URL",
    "FRACTALOPS_SUPABASE_STORAGE_PUBLIC_URL",
    "FRACTALOPS_PORTAL_PUBLIC_URL",
)
"""In priority order: the first one set is the base of every URL `public_evidence_url` builds."""


def _origin(url: str, where: str) -> tuple[str, str, int | None]:
    """(scheme, lowercase host, port) of an absolute http(s) URL, else EvidenceError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EvidenceError(f"{where}: {url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EvidenceError(f"{where}: {url!r} must be an absolute http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise EvidenceError(f"{where}: {url!r} must not carry credentials")
    return parts.scheme, parts.hostname.lower(), port


def _configured() -> list[tuple[str, str]]:
    return [(var, os.environ[var].strip()) for var in PUBLIC_URL_ENV_VARS if os.environ.get(var, "").strip()]


def public_evidence_url(ref: ArtifactRef | EvidenceRef | str) -> str:
    """The public URL of an artifact (`<base>/sha256/<hex>`) or log entry (`<base>/chronicle/<log>/<index>`).

    The base is the first set of `PUBLIC_URL_ENV_VARS`; with none set this is an EvidenceError.
    """
    configured = _configured()
    if not configured:
        raise EvidenceError(
            "no public evidence base URL configured; set one of " + ", ".join(PUBLIC_URL_ENV_VARS)
        )
    var, base = configured[0]
    _origin(base, var)
    if isinstance(ref, str):
        ref = EvidenceRef.parse(ref) if ref.startswith("chronicle://") else ArtifactRef.parse(ref)
    if isinstance(ref, ArtifactRef):
        path = f"sha256/{ref.sha256}"
    else:
        path = f"chronicle/{quote(ref.log)}/{ref.index}?leaf=sha256:{ref.leaf_hash}"
    return check_public_url(f"{base.rstrip('/')}/{path}")


def check_public_url(url: str) -> str:
    """Return `url` if its host is one of the env-configured public hosts; EvidenceError otherwise."""
    scheme, host, port = _origin(url, "public evidence URL")
    allowed = []
    for var, base in _configured():
        b_scheme, b_host, b_port = _origin(base, var)
        allowed.append(b_host)
        if host == b_host and scheme == b_scheme and (b_port is None or port == b_port):
            return url
    raise EvidenceError(
        f"refusing public evidence URL {url!r}: host {host!r} is not an owned evidence host "
        f"(allowed: {', '.join(allowed) or 'none configured'}); set one of {', '.join(PUBLIC_URL_ENV_VARS)}"
    )
