"""Benchmark output shared by the squad-vs-baseline benchmarks: medians, the ratio, whether it met its target, and
one JSON line. A missed target is reported, never raised: benchmarks exit non-zero only on a functional failure."""

from __future__ import annotations

import json
import statistics


def _verdict(met: bool | None) -> str:
    return "no target yet" if met is None else ("met" if met else "NOT met")


def report_ratio(name: str, squad_times: list[float], bare_times: list[float], target: float | None, unit: str,
                 baseline: str = "bare") -> None:
    """Median time per `unit` on both sides; the target is an upper bound on squad/baseline (None: none yet)."""
    s, b = statistics.median(squad_times), statistics.median(bare_times)
    ratio = s / b
    met = None if target is None else ratio <= target
    bound = "no target yet" if target is None else f"target <= {target}: {_verdict(met)}"
    print(f"squad  median {s * 1000:8.1f} ms over {len(squad_times)} {unit}")
    print(f"{baseline:<6} median {b * 1000:8.1f} ms over {len(bare_times)} {unit}")
    print(f"ratio squad/{baseline} = {ratio:.3f}  ({bound})")
    print(json.dumps({"benchmark": name, "squad_ms": round(s * 1000, 1), f"{baseline}_ms": round(b * 1000, 1),
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
