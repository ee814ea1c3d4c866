"""conductor (IA/PM pack) — plan, tasks and assignment visibility."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("conductor", "ia_pm", "plan, tasks and assignment visibility",
                   lambda hud: f"plan: 1) {hud.launch_action} 2) review at the gate 3) close proof via {hud.proof_path[:60]}")
