"""Canonical JSON bytes: sorted keys, compact separators, UTF-8, no NaN/Infinity."""

from __future__ import annotations

import json
import json.encoder
from typing import Any

from fractalops.errors import EvidenceError

__all__ = ["canonical_json"]


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:
    # The C encoder built once (JSONEncoder.encode rebuilds it per call); same output as the encoder below.
    _C_ENCODE = _c_make_encoder(None, _refuse, json.encoder.encode_basestring, None, ":", ",", True, False, False)

    def _encode(value: Any) -> str:
        return "".join(_C_ENCODE(value, 0))
else:  # pragma: no cover - CPython always has the C encoder
    _encode = json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_refuse
    ).encode


def canonical_json(value: Any, *, what: str = "entry") -> bytes:
    """Serialise `value` canonically; a value JSON cannot carry exactly is an EvidenceError."""
    try:
        text = _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise EvidenceError(
            f"{what} is not canonical-JSON serialisable ({type(exc).__name__}: {exc}); pass only dicts, lists, "
            "str, int, finite float, bool and None, without cycles"
        ) from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EvidenceError(f"{what} holds a lone surrogate and cannot be UTF-8 encoded: {exc}") from exc
