"""compass (QA/support pack) — verification runs."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("compass", "qa_support", "verification runs (browser and tests)",
                   lambda hud: "verify: run the workspace's tests on the applied commit before the proof closes")
