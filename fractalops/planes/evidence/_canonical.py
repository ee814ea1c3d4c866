"""Canonical JSON bytes: sorted keys, compact separators, UTF-8, no NaN/Infinity."""

from __future__ import annotations

import json
from typing import Any

from fractalops.errors import EvidenceError

__all__ = ["canonical_json"]

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any, *, what: str = "entry") -> bytes:
    """Serialise `value` canonically; a value JSON cannot carry exactly is an EvidenceError."""
    try:
        text = _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise EvidenceError(
            f"{what} is not canonical-JSON serialisable ({exc}); pass only dicts, lists, str, int, "
            "finite float, bool and None"
        ) from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EvidenceError(f"{what} holds a lone surrogate and cannot be UTF-8 encoded: {exc}") from exc
