"""quill (design pack) — copy review."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("quill", "design", "copy",
                   lambda hud: f"copy: state the change plainly in the proposal title ({len(hud.intent)} chars of intent)")
