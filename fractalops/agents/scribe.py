"""scribe (deep lineage pack) — the project's RDF steward."""

from fractalops.agents._advice import advice_spec

SPEC = advice_spec("scribe", "deep_lineage", "RDF steward: datasets, owners, schemas, domain terms, impact paths",
                   lambda hud: "lineage: run the `steward` graph on the workspace to refresh datasets and impact paths")
