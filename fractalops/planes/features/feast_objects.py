"""The Feast entities and feature views of `definitions` (imports Feast: ~4 s, so only ever in a worker thread).

The generated repository's `fractalops_features.py` star-imports this module, so `feast -c <data dir>/features
plan` sees exactly what the harness applies. Sources are the Parquet exports, relative to the repository.
"""

from __future__ import annotations

from datetime import timedelta

from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64, String

from fractalops.planes.features.definitions import FEATURES, VIEWS

__all__ = ["agent", "asset", "agent_features", "asset_features", "warehouse_features", "OBJECTS"]

_TYPES = {"float": Float64, "int": Int64, "string": String}

agent = Entity(name="agent", join_keys=["agent"], value_type=ValueType.STRING,
               description="A squad member (atlas, forge, ledger, ...) or pack agent.")
asset = Entity(name="asset", join_keys=["asset"], value_type=ValueType.STRING,
               description="An Armory runtime asset an agent runs on (`native` when unbound).")
_ENTITIES = {"agent": [agent], "asset": [asset], "warehouse": []}


def _view(scope: str) -> FeatureView:
    spec = next(v for v in VIEWS if v.scope == scope)
    return FeatureView(
        name=spec.name,
        entities=_ENTITIES[scope],
        ttl=timedelta(0),  # 0: rows never expire; freshness is judged from materialized.json, not by Feast
        schema=[Field(name=f.name, dtype=_TYPES[f.dtype], description=f.description)
                for f in FEATURES if f.scope == scope],
        source=FileSource(name=f"{spec.name}_source", path=spec.parquet, timestamp_field="event_timestamp"),
        online=True,
        description=f"FractalOps {scope} features (FeaturePlane)",
    )


agent_features = _view("agent")
asset_features = _view("asset")
warehouse_features = _view("warehouse")
OBJECTS = (agent, asset, agent_features, asset_features, warehouse_features)
"""Everything `FeatureStore.apply` gets."""
