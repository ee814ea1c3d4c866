"""A real `langgraph dev` server on a free loopback port, with its own data dir and API keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from fractalops.cli.devserver import DevServer, free_port

KEYS = {
    "key-alice": {"identity": "alice", "roles": ["operator", "approver"]},
    "key-bob": {"identity": "bob", "roles": ["approver"]},
    "key-bot": {"identity": "review-bot", "roles": ["approver", "agent"]},
    "key-carol": {"identity": "carol", "roles": []},
    "key-dave": {"identity": "dave", "roles": []},
    "key-tele": {"identity": "collector", "roles": ["telemetry"], "project": "shop"},
}


@dataclass
class Server:
    dev: DevServer
    data_dir: Path

    @property
    def url(self) -> str:
        return self.dev.url

    def client(self, key: str | None = "key-alice") -> SyncLangGraphClient:
        return get_sync_client(url=self.url, api_key=key)

    def restart(self, kill: bool = False) -> None:
        self.dev.kill() if kill else self.dev.stop()
        self.dev = DevServer(self.data_dir, port=free_port(), jobs_per_worker=10, env=self.dev.extra_env).start()


def start_server(data_dir: Path, **env_extra: str) -> Server:
    env = {"FRACTALOPS_API_KEYS": json.dumps(KEYS), **env_extra}
    return Server(DevServer(data_dir, port=free_port(), jobs_per_worker=10, env=env).start(), data_dir)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server-data"))
    yield srv
    srv.dev.stop()
