"""FeaturePlane: compact, fresh agent features from the planes' facts, served by Feast.

    from fractalops.planes.features import feature_reader, materializer
    materializer(data_dir).request(warehouse)         # off the hot path: one daemon thread per data dir
    read = feature_reader(data_dir).read("forge", "codex.default")   # within 50 ms, or named missing
    read.get("asset.adapter_timeouts_24h"), read.missing, read.stale

A Feast repository under `<data dir>/features/` (`repo.py`): entities `agent` and `asset`, three feature views over
Parquet exports of the facts (file offline store), a SQLite online store. Importing this package imports neither
Feast nor pandas/pyarrow (Feast alone costs ~4 s): they load in the materialization and reader worker threads.
Scale-out: `scale_out_config` (ClickHouse offline, Redis online), generated and validated, not run here.
"""

from fractalops.planes.features.config import FeatureSettings, feature_settings
from fractalops.planes.features.definitions import FEATURE_NAMES, FEATURES, VIEWS, FeatureSpec, ViewSpec
from fractalops.planes.features.facts import Facts, collect_facts, feature_rows
from fractalops.planes.features.materialize import FeastHandle, Materialization, materialize_once, read_marker
from fractalops.planes.features.read import (
    FEATURE_REFS,
    FeatureRead,
    FeatureReader,
    entity_row,
    feature_reader,
    open_online_store,
)
from fractalops.planes.features.repo import FeatureRepo, local_config, scale_out_config, scale_out_sources
from fractalops.planes.features.worker import Materializer, materializer

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "FEATURE_REFS",
    "VIEWS",
    "Facts",
    "FeastHandle",
    "FeatureRead",
    "FeatureReader",
    "FeatureRepo",
    "FeatureSettings",
    "FeatureSpec",
    "Materialization",
    "Materializer",
    "ViewSpec",
    "collect_facts",
    "entity_row",
    "feature_reader",
    "feature_rows",
    "feature_settings",
    "local_config",
    "materialize_once",
    "materializer",
    "open_online_store",
    "read_marker",
    "scale_out_config",
    "scale_out_sources",
]
