"""Benchmark output shared by the ratio benchmarks: a statistic per side, the ratio, and one JSON line."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence

_STATS = {"median": statistics.median, "best": min}


def report_ratio(name: str, squad_times: list[float], bare_times: list[float], target: float, unit: str, *,
                 labels: Sequence[str] = ("squad", "bare"), stat: str = "median") -> None:
    """Print `stat` (median, or best = min) of both sides in ms and their ratio; JSON keys follow `labels`."""
    pick = _STATS[stat]
    s, b = pick(squad_times), pick(bare_times)
    left, right = labels
    width = max(len(left), len(right))
    print(f"{left:<{width}}  {stat} {s * 1000:8.1f} ms over {len(squad_times)} {unit}")
    print(f"{right:<{width}}  {stat} {b * 1000:8.1f} ms over {len(bare_times)} {unit}")
    print(f"ratio {left}/{right} = {s / b:.3f}  (target <= {target})")
    print(json.dumps({"benchmark": name, f"{left}_ms": round(s * 1000, 1), f"{right}_ms": round(b * 1000, 1),
                      "ratio": round(s / b, 3), "target": target, "rounds": len(squad_times)}))
