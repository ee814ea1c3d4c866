"""beacon (QA/support pack) — bug replay and triage."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("beacon", "qa_support", "bug replay and triage",
                   lambda hud: f"triage: no replay requested; live signal `{hud.live_signal[:60]}`")
