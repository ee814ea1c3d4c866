"""cartographer (IA/PM pack) — site and route inventory."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("cartographer", "ia_pm", "site/route inventory",
                   lambda hud: f"inventory: route `{hud.route}` touches the workspace named in the launch action")
