"""One real `langgraph dev` for the server tests (its own data dir and the e2e keys)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Server, start_server


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server-tests-data"))
    yield srv
    srv.dev.stop()
