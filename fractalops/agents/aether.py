"""aether (design pack) — design direction for the change."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("aether", "design", "design direction",
                   lambda hud: f"design direction: keep `{hud.intent[:60]}` consistent with the existing visual language")
