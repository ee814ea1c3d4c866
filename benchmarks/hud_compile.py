"""`compile_hud` at 10, 1k and 100k history items: time per compile and HUD size must stay flat.

The history is folded into the compact summary as it happens (`observe`), which is what the squad does; the
compile reads only that summary. Baseline: the same compile at 10 items, measured in the same run.
Targets: <= 1 ms per compile and <= 2 KB at every size, ratio 100k/10 ~ 1.
"""

from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fractalops.hud import HUD_MAX_BYTES, compile_hud, new_summary, observe  # noqa: E402

AGENTS = ["atlas", "sentinel", "mercury", "forge", "ontos", "gate", "relay", "ledger", "signal"]


def summary_after(n: int) -> dict:
    summary = new_summary("ship the pricing page with the new copy and keep the proof path closed")
    for i in range(n):
        summary = observe(summary, agent=AGENTS[i % len(AGENTS)], event=f"event {i}: step finished with details {i * 7}")
    return dict(summary)


def main() -> None:
    rows = []
    for n in (10, 1_000, 100_000):
        summary = summary_after(n)
        loops = 2000
        per_call = min(timeit.repeat(lambda s=summary: compile_hud(s, resumed=True), number=loops, repeat=5)) / loops
        size = len(compile_hud(summary, resumed=True).hud.model_dump_json().encode())
        rows.append({"history": n, "us_per_compile": round(per_call * 1e6, 1), "hud_bytes": size,
                     "summary_bytes": len(json.dumps(summary))})
        print(f"history {n:>7}: {per_call * 1e6:7.1f} µs/compile, HUD {size} B, summary {rows[-1]['summary_bytes']} B")
    ratio = rows[-1]["us_per_compile"] / rows[0]["us_per_compile"]
    ok = all(r["us_per_compile"] <= 1000 and r["hud_bytes"] <= HUD_MAX_BYTES for r in rows)
    print(f"ratio 100k/10 = {ratio:.2f} (flat ~1.0); all <= 1 ms and <= 2 KB: {ok}")
    print(json.dumps({"benchmark": "hud_compile", "rows": rows, "ratio_100k_vs_10": round(ratio, 2), "ok": ok}))


if __name__ == "__main__":
    main()
