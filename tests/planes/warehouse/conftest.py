"""Warehouse fixtures, parametrized over backends like LangGraph's checkpointer fixtures.

chdb hosts one engine path per process, so the chdb tests of a module share ONE path (a module-scoped anchor
keeps the engine open) and isolate themselves with a fresh database per test.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import fractalops
from fractalops.planes.warehouse import Warehouse, close_warehouse, open_warehouse

SERVER_SKIP_REASON = (
    "no ClickHouse server new enough on this machine (Debian ships 18.16; clickhouse-connect 1.x needs ≥ 22); "
    "set FRACTALOPS_CLICKHOUSE_URL to run"
)
REPO_ROOT = Path(fractalops.__file__).resolve().parent.parent


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child Python that imports this checkout's `fractalops`."""
    env = {k: v for k, v in os.environ.items() if k != "FRACTALOPS_CLICKHOUSE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


PYTHON = sys.executable


@pytest.fixture(autouse=True)
def _no_cached_warehouse() -> Iterator[None]:
    # Another module's get_warehouse() may have left the process's one chdb path open.
    close_warehouse()
    yield
    close_warehouse()


@pytest.fixture(scope="module")
def chdb_anchor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    close_warehouse()
    anchor = open_warehouse(tmp_path_factory.mktemp("warehouse-chdb"), migrate=False)
    yield anchor
    anchor.close()


@pytest.fixture(params=["chdb", "server"])
def warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    database = f"t_{uuid.uuid4().hex[:12]}"
    if request.param == "server":
        url = os.environ.get("FRACTALOPS_CLICKHOUSE_URL")
        if not url:
            pytest.skip(SERVER_SKIP_REASON)
        handle = open_warehouse(url=url, database=database)
        yield handle
        handle._command(f"DROP DATABASE IF EXISTS `{database}`")
        handle.close()
        return
    anchor: Warehouse = request.getfixturevalue("chdb_anchor")
    handle = open_warehouse(Path(anchor.location).parent, database=database)
    yield handle
    handle.close()
