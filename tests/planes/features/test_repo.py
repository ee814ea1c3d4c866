"""The generated repository and its configurations: the local one Feast runs, the scale-out one Feast accepts."""

from __future__ import annotations

import importlib.util

import pytest
import yaml

from fractalops.errors import ConfigError
from fractalops.planes.features import FeatureRepo, local_config, scale_out_config, scale_out_sources

CLICKHOUSE = "http://feast:s%40cret@ch.internal:8123/fractalops"
REDIS = "redis://:pw@redis.internal:6380/2"


def test_generate_writes_the_config_and_the_repository_file_privately(tmp_path) -> None:
    repo = FeatureRepo(tmp_path / "features")
    repo.generate()
    assert yaml.safe_load(repo.config_path.read_text()) == local_config(repo.path)
    assert "from fractalops.planes.features.feast_objects import *" in (repo.path / "fractalops_features.py").read_text()
    assert {p.stat().st_mode & 0o777 for p in repo.path.rglob("*") if p.is_file()} == {0o600}
    assert (repo.path.stat().st_mode & 0o777) == 0o700


def test_the_local_config_is_a_valid_feast_repo_config(tmp_path) -> None:
    from feast.repo_config import RepoConfig

    config = RepoConfig(repo_path=tmp_path, **local_config(tmp_path))
    assert (config.online_store.type, config.offline_store.type) == ("sqlite", "file")


def test_scale_out_config_swaps_in_clickhouse_and_redis(tmp_path) -> None:
    config = scale_out_config(tmp_path, clickhouse_url=CLICKHOUSE, redis_url=REDIS)
    assert config["offline_store"] == {"type": "clickhouse", "host": "ch.internal", "port": 8123,
                                       "database": "fractalops", "user": "feast", "password": "s@cret"}
    assert config["online_store"] == {"type": "redis", "redis_type": "redis",
                                      "connection_string": "redis.internal:6380,password=pw,db=2"}
    assert {k: v for k, v in config.items() if k not in ("offline_store", "online_store")} == {
        k: v for k, v in local_config(tmp_path).items() if k not in ("offline_store", "online_store")}


def test_feast_accepts_the_clickhouse_offline_store_and_its_sources(tmp_path) -> None:
    from feast.infra.offline_stores.contrib.clickhouse_offline_store.clickhouse_source import ClickhouseSource
    from feast.infra.utils.clickhouse.clickhouse_config import ClickhouseConfig

    offline = scale_out_config(tmp_path, clickhouse_url=CLICKHOUSE)["offline_store"]
    # Feast's ClickHouse offline config is ClickhouseConfig plus `type`; it forbids unknown keys.
    ClickhouseConfig(**{k: v for k, v in offline.items() if k != "type"})
    sources = scale_out_sources("fractalops")
    assert set(sources) == {"agent_features", "asset_features", "warehouse_features"}
    for arguments in sources.values():
        assert ClickhouseSource(**arguments).get_table_query_string().startswith("fractalops.feature_")


@pytest.mark.skipif(not (importlib.util.find_spec("redis") and importlib.util.find_spec("psycopg")),
                    reason="Feast's Redis online store needs `redis` and its ClickHouse offline store `psycopg` "
                           "(feast[redis], feast[postgres]); neither is installed here")
def test_feast_accepts_the_whole_scale_out_config(tmp_path) -> None:
    from feast.repo_config import RepoConfig

    config = RepoConfig(repo_path=tmp_path, **scale_out_config(tmp_path, clickhouse_url=CLICKHOUSE, redis_url=REDIS))
    assert (config.online_store.type, config.offline_store.type) == ("redis", "clickhouse")


@pytest.mark.parametrize(("kind", "url"), [("clickhouse_url", "ch.internal:8123"), ("redis_url", "http://r:6379")])
def test_a_bad_scale_out_url_is_a_config_error(tmp_path, kind: str, url: str) -> None:
    with pytest.raises(ConfigError, match="is not"):
        scale_out_config(tmp_path, **{kind: url})
