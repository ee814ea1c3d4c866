"""Benchmark output shared by the squad-vs-bare benchmarks: medians, the ratio, and one JSON line."""

from __future__ import annotations

import json
import statistics


def report_ratio(name: str, squad_times: list[float], bare_times: list[float], target: float, unit: str) -> None:
    s, b = statistics.median(squad_times), statistics.median(bare_times)
    print(f"squad  median {s * 1000:8.1f} ms over {len(squad_times)} {unit}")
    print(f"bare   median {b * 1000:8.1f} ms over {len(bare_times)} {unit}")
    print(f"ratio squad/bare = {s / b:.3f}  (target <= {target})")
    print(json.dumps({"benchmark": name, "squad_ms": round(s * 1000, 1), "bare_ms": round(b * 1000, 1),
                      "ratio": round(s / b, 3), "target": target, "rounds": len(squad_times)}))
