"""`GET /features/{agent}` and `fractalops features show` through a real server: a proven change shows up in the
features, with freshness; reviewers and operators may read them, agents and role-less keys may not."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.features import FEATURE_NAMES
from tests.conftest import make_git_repo
from tests.e2e._journey import decide, launch

pytestmark = pytest.mark.server


def _features(server, agent: str = "forge", key: str = "key-alice", **params) -> httpx.Response:
    return httpx.get(f"{server.url}/features/{agent}", params=params, headers={"x-api-key": key}, timeout=60)


def _wait_for(server, ready, timeout: float = 180) -> dict:
    # Another process materializes: its route is what can be watched.
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = _features(server).json()
        if ready(last):
            return last
        time.sleep(0.25)
    raise AssertionError(f"features never got there; last answer: {last}")


def _value(document: dict, name: str):
    return next(row["value"] for row in document["features"] if row["name"] == name)


def test_a_proven_change_shows_in_the_features_through_the_route_and_the_cli(server, tmp_path, monkeypatch):
    empty = _features(server)
    assert empty.status_code == 200, empty.text
    assert empty.json()["missing"] == list(FEATURE_NAMES) and "no online store" in empty.json()["reason"]
    assert empty.json()["asset"] == "workspace.default", "the asset the Armory binds forge to"

    client = server.client()
    repo = make_git_repo(tmp_path / "repo")
    thread = launch(client, repo)
    state = decide(client, thread, {"type": "approve"})
    assert state["values"]["summary"]["proof"].keys() == {"graph", "warehouse", "chronicle"}

    document = _wait_for(server, lambda d: d["as_of"] and _value(d, "agent.proof_closure_rate") == 1.0)
    assert document["fresh"] and document["missing"] == [] and document["reason"] == ""
    assert _value(document, "agent.open_proposals") == 0 and _value(document, "asset.proof_closure_rate") == 1.0
    assert {row["status"] for row in document["features"]} == {"fresh"}
    assert document["materialization"]["generation"] >= 1 and document["materialization"]["last_error"] == ""

    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-bob")
    shown = CliRunner().invoke(app, ["features", "show", "forge", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["features"] == document["features"]
    plain = CliRunner().invoke(app, ["features", "show", "forge"])
    assert plain.exit_code == 0 and "features of agent forge and asset workspace.default, as of" in plain.stdout
    assert re.search(r"^agent\.proof_closure_rate +1\.0 +fresh$", plain.stdout, re.M), plain.stdout


@pytest.mark.parametrize("key", ["key-bot", "key-carol"])
def test_agents_and_role_less_keys_may_not_read_features(server, key: str) -> None:
    refused = _features(server, key=key)
    assert refused.status_code == 403 and "allowed: operator, reviewer" in refused.json()["error"]


def test_an_unknown_agent_or_asset_is_named(server) -> None:
    nobody = _features(server, agent="nobody")
    assert nobody.status_code == 404 and "unknown agent 'nobody'; agents: atlas, mercury" in nobody.json()["error"]
    bad = _features(server, asset="gpu.cluster")
    assert bad.status_code == 404 and "unknown asset 'gpu.cluster'; the Armory has: " in bad.json()["error"]
    native = _features(server, agent="ledger", asset="native")
    assert native.status_code == 200 and native.json()["asset"] == "native"
