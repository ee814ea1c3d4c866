"""prism (design pack) — visual review; screenshots come from a browser asset when one is bound."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("prism", "design", "visual review with browser screenshots",
                   lambda hud: "visual review: no browser asset bound, screenshot review deferred to the proposal diff")
