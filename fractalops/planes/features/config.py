"""The FeaturePlane's knobs, from the environment (each checked: a bad value is a `ConfigError` naming it)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from fractalops.errors import ConfigError

__all__ = ["FeatureSettings", "feature_settings"]


@dataclass(frozen=True)
class FeatureSettings:
    budget_s: float
    """`FRACTALOPS_FEATURES_BUDGET_MS` (default 50): how long a step waits for its feature read."""
    max_age_s: float
    """`FRACTALOPS_FEATURES_MAX_AGE_S` (default 900): older than this, served features are named stale."""
    interval_s: float
    """`FRACTALOPS_FEATURES_INTERVAL_S` (default 300): the server's materialization timer; 0 turns it off."""
    spacing_s: float
    """`FRACTALOPS_FEATURES_SPACING_S` (default 1): requested materializations start at least this far apart, so a
    burst of closed proofs is served by one run (each costs ~70 ms of CPU beside the squad); 0: no spacing."""


def _number(name: str, default: float, *, zero_ok: bool = False) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a number; unset it for the default {default:g}") from None
    if value < 0 or (value == 0 and not zero_ok):
        raise ConfigError(f"{name}={text!r} must be {'>= 0' if zero_ok else '> 0'}; unset it for the default "
                          f"{default:g}")
    return value


def feature_settings() -> FeatureSettings:
    return FeatureSettings(budget_s=_number("FRACTALOPS_FEATURES_BUDGET_MS", 50) / 1000,
                           max_age_s=_number("FRACTALOPS_FEATURES_MAX_AGE_S", 900),
                           interval_s=_number("FRACTALOPS_FEATURES_INTERVAL_S", 300, zero_ok=True),
                           spacing_s=_number("FRACTALOPS_FEATURES_SPACING_S", 1, zero_ok=True))
