"""Telemetry plane fixtures: a real chdb warehouse (one engine per module, a fresh database per test), a real WORM
store and semantic graph in each test's data dir, and PostHog project keys."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fractalops.planes.evidence import open_chronicle
from fractalops.planes.semantics import get_semantics
from fractalops.planes.telemetry import TelemetryIntake
from fractalops.planes.warehouse import Warehouse, close_warehouse, open_warehouse

PROJECT_KEYS = {"phc_shop": "shop", "phc_blog": "blog"}


@pytest.fixture(scope="module")
def warehouse_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    close_warehouse()
    anchor = open_warehouse(tmp_path_factory.mktemp("telemetry-warehouse"), migrate=False)
    yield anchor
    anchor.close()


@pytest.fixture
def warehouse(warehouse_engine: Warehouse) -> Iterator[Warehouse]:
    handle = open_warehouse(Path(warehouse_engine.location).parent, database=f"t_{uuid.uuid4().hex[:12]}")
    yield handle
    handle.close()


@pytest.fixture
def intake(data_dir: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> TelemetryIntake:
    monkeypatch.setenv("FRACTALOPS_POSTHOG_KEYS", json.dumps(PROJECT_KEYS))
    chronicle = open_chronicle(data_dir)
    return TelemetryIntake(data_dir, warehouse=lambda: warehouse, artifacts=lambda: chronicle.artifacts,
                           semantics=lambda: get_semantics(data_dir))


def rows(warehouse: Warehouse, sql: str) -> list[dict]:
    """Rows as stored, without FINAL: a duplicate row shows."""
    return warehouse._select(warehouse._reader, sql, None, {"final": 0})
