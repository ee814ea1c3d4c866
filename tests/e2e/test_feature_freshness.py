"""Feature freshness through a real `langgraph dev`: an applied and proven proposal changes its features within one
materialization (the one ledger asks for), and the next run's agents read the new values in their context (their
step records show it); with Feast's online store deleted, runs still work and the HUD diagnostics name the missing
features, until the next materialization reloads the store.

The server gets a fresh data dir (so its first materialization is ledger's) and a 5 s read budget: the first read
after a materialization opens Feast's store in the reader (hundreds of ms on a loaded machine), and this module
tests freshness, not the budget (tests/planes/features/test_read.py does)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from fractalops.planes.features import FEATURE_NAMES, FeatureRepo
from tests.conftest import make_git_repo
from tests.e2e._journey import decide, launch, request_of
from tests.e2e.conftest import Server, start_server

pytestmark = pytest.mark.server
HEADERS = {"x-api-key": "key-alice"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("features-data"), FRACTALOPS_FEATURES_BUDGET_MS="5000")
    yield srv
    srv.dev.stop()


def _features(server: Server, agent: str = "forge") -> dict:
    answer = httpx.get(f"{server.url}/features/{agent}", headers=HEADERS, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _materialized(server: Server, generation: int, timeout: float = 180) -> dict:
    """The route's answer once the online store holds materialization `generation` (another process runs it)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = _features(server)
        if last["materialization"]["generation"] >= generation and not last["missing"]:
            assert last["materialization"]["generation"] == generation, f"more runs than asked for: {last}"
            return last
        time.sleep(0.25)
    raise AssertionError(f"materialization {generation} never arrived; last answer: {last}")


def _value(document: dict, name: str):
    return next(row["value"] for row in document["features"] if row["name"] == name)


def _forge_read(server: Server, thread: str) -> dict:
    """What forge's context read in `thread`, from its step record (the `step` event's `features`)."""
    events = httpx.get(f"{server.url}/live/events", params={"thread_id": thread}, headers=HEADERS, timeout=60)
    steps = [e for e in events.json()["events"] if e["agent"] == "forge" and e["kind"] == "step"]
    assert steps, events.text
    return steps[-1]["data"].get("features", {})


def _diagnostics(server: Server, thread: str) -> dict:
    return httpx.get(f"{server.url}/threads/{thread}/hud/diagnostics", headers=HEADERS, timeout=60).json()


def test_a_proven_proposal_changes_its_features_and_the_next_context_reads_them(server, tmp_path) -> None:
    client = server.client()
    repo = make_git_repo(tmp_path / "repo")
    first = launch(client, repo)
    assert _features(server)["missing"] == list(FEATURE_NAMES), "nothing materialized before a proof closes"
    assert _forge_read(server, first) == {}, "nothing read, nothing recorded as read"

    state = decide(client, first, {"type": "approve"})
    assert state["values"]["summary"]["proof"].keys() == {"graph", "warehouse", "chronicle"}
    after = _materialized(server, 1)
    assert after["fresh"] and after["reason"] == "" and after["asset"] == "workspace.default"
    assert _value(after, "agent.proof_closure_rate") == 1.0 and _value(after, "asset.proof_closure_rate") == 1.0
    assert _value(after, "agent.open_proposals") == 0 and _value(after, "agent.approval_latency_p50_s") > 0

    second = launch(client, repo, path="src/other.py")
    read = _forge_read(server, second)
    assert read["as_of"] == after["as_of"] and read["stale"] == []
    assert read["values"]["agent.proof_closure_rate"] == 1.0 and read["values"]["agent.open_proposals"] == 0
    assert _diagnostics(server, second)["features_note"] == ""

    decide(client, second, {"type": "approve"})
    again = _materialized(server, 2)
    assert _value(again, "agent.open_proposals") == 0 and _value(again, "agent.proof_closure_rate") == 1.0


def test_without_the_online_store_runs_work_and_the_diagnostics_name_the_missing(server, tmp_path) -> None:
    client = server.client()
    repo = make_git_repo(tmp_path / "repo")
    generation = _features(server)["materialization"]["generation"]
    online = FeatureRepo.in_data_dir(server.data_dir).online_path
    online.unlink()
    gone = _features(server)
    assert gone["missing"] == list(FEATURE_NAMES) and f"no online store at {online}" in gone["reason"]

    thread = launch(client, repo)
    note = _diagnostics(server, thread)["features_note"]
    assert note.startswith("missing " + ", ".join(FEATURE_NAMES)) and f"no online store at {online}" in note
    assert _forge_read(server, thread) == {}, "no value was made up for the missing features"
    proposal_id = request_of(client, thread)["action_requests"][0]["args"]["proposal_id"]

    state = decide(client, thread, {"type": "approve"})
    assert state["values"]["summary"]["proof"].keys() == {"graph", "warehouse", "chronicle"}, "the run worked"
    proposal = httpx.get(f"{server.url}/proposals/{proposal_id}", headers=HEADERS, timeout=60).json()
    assert proposal["status"] == "evidenced"
    back = _materialized(server, generation + 1)
    assert back["fresh"] and _value(back, "agent.proof_closure_rate") == 1.0 and online.exists()
