"""Benchmark output shared by the ratio benchmarks: a statistic per side, the ratio, whether it met its target, and
one JSON line. A missed target is reported, never raised: benchmarks exit non-zero only on a functional failure."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence

_STATS = {"median": statistics.median, "best": min}


def _verdict(met: bool | None) -> str:
    return "no target yet" if met is None else ("met" if met else "NOT met")


def report_ratio(name: str, squad_times: list[float], bare_times: list[float], target: float | None, unit: str, *,
                 labels: Sequence[str] = ("squad", "bare"), stat: str = "median") -> None:
    """`stat` (median, or best = min) of both sides in ms and their ratio; the target is an upper bound on
    left/right (None: no target yet). JSON keys follow `labels`."""
    pick = _STATS[stat]
    s, b = pick(squad_times), pick(bare_times)
    left, right = labels
    width = max(len(left), len(right))
    ratio = s / b
    met = None if target is None else ratio <= target
    bound = "no target yet" if target is None else f"target <= {target}: {_verdict(met)}"
    print(f"{left:<{width}}  {stat} {s * 1000:8.1f} ms over {len(squad_times)} {unit}")
    print(f"{right:<{width}}  {stat} {b * 1000:8.1f} ms over {len(bare_times)} {unit}")
    print(f"ratio {left}/{right} = {ratio:.3f}  ({bound})")
    print(json.dumps({"benchmark": name, f"{left}_ms": round(s * 1000, 1), f"{right}_ms": round(b * 1000, 1),
                      "ratio": round(ratio, 3), "target": target, "met": met, "rounds": len(squad_times)}))


def report_throughput(name: str, squad_rates: list[float], bare_rates: list[float], target: float, unit: str) -> None:
    """Median rate (per second) on both sides; the target is a lower bound on squad/bare throughput."""
    s, b = statistics.median(squad_rates), statistics.median(bare_rates)
    ratio = s / b
    met = ratio >= target
    print(f"squad  median {s:8.2f} {unit}/s over {len(squad_rates)} rounds  ({', '.join(f'{r:.2f}' for r in squad_rates)})")
    print(f"bare   median {b:8.2f} {unit}/s over {len(bare_rates)} rounds  ({', '.join(f'{r:.2f}' for r in bare_rates)})")
    print(f"ratio squad/bare throughput = {ratio:.3f}  (target >= {target}: {_verdict(met)})")
    print(json.dumps({"benchmark": name, f"squad_{unit}_per_s": round(s, 3), f"bare_{unit}_per_s": round(b, 3),
                      "ratio": round(ratio, 3), "target": target, "met": met, "rounds": len(squad_rates)}))
