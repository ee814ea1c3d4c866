"""Crash safety: a SIGTERM restart resumes the same thread; SIGKILLs never apply twice nor lose an approval."""

from __future__ import annotations

import random
import threading

import pytest

from tests.conftest import make_git_repo
from tests.e2e._journey import commits_for, decide, launch, request_of

pytestmark = pytest.mark.server


@pytest.fixture
def own_server(tmp_path):
    from tests.e2e.conftest import start_server

    srv = start_server(tmp_path / "data")
    yield srv
    srv.dev.stop()


def test_sigterm_while_interrupted_then_resume_applies_once(own_server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    thread = launch(own_server.client(), repo)
    pid = request_of(own_server.client(), thread)["action_requests"][0]["args"]["proposal_id"]
    own_server.restart()
    client = own_server.client()
    assert request_of(client, thread)["action_requests"][0]["args"]["proposal_id"] == pid
    decide(client, thread, {"type": "approve"})
    assert commits_for(repo, pid) == 1
    decide_again = client.runs.create(thread, "squad", command={"resume": {"decisions": [{"type": "approve"}]}})
    client.runs.join(thread, decide_again["run_id"])
    assert commits_for(repo, pid) == 1
    assert client.http.get(f"/threads/{thread}/hud")["continuity"] == "fresh"


def _drive_to_done(client, thread: str) -> None:
    """What an operator does after a crash: decide if asked, else resume from the checkpoint."""
    for _ in range(5):
        state = client.threads.get_state(thread)
        if state["interrupts"]:
            decide(client, thread, {"type": "approve"})
        elif state["next"]:
            run = client.runs.create(thread, "squad", input=None)
            client.runs.join(thread, run["run_id"])
        else:
            return
    raise AssertionError(f"thread {thread} did not finish: {client.threads.get_state(thread)['next']}")


def test_sigkill_during_apply_never_applies_twice_or_loses_the_approval(own_server, tmp_path):
    rng = random.Random(7)
    for attempt in range(3):
        repo = make_git_repo(tmp_path / f"repo{attempt}")
        thread = launch(own_server.client(), repo, content=f"attempt = {attempt}\n")
        pid = request_of(own_server.client(), thread)["action_requests"][0]["args"]["proposal_id"]
        own_server.restart()  # SIGTERM: the dev runtime persists the thread record
        client = own_server.client()
        client.runs.create(thread, "squad", command={"resume": {"decisions": [{"type": "approve"}]}})
        killed = threading.Event()
        threading.Timer(rng.uniform(0.05, 1.2), lambda done=killed: (own_server.dev.kill(), done.set())).start()
        assert killed.wait(10)
        own_server.restart(kill=True)
        client = own_server.client()
        assert commits_for(repo, pid) <= 1
        record = client.http.get(f"/proposals/{pid}")
        assert record["status"] in {"in_review", "approved", "published", "applied", "visible", "evidenced"}
        if record["status"] != "in_review":
            assert [a["identity"] for a in record["approvals"]] == ["alice"], "an approval is never lost"
        _drive_to_done(client, thread)
        assert commits_for(repo, pid) == 1
        status = client.http.get(f"/proposals/{pid}")["status"]
        if status != "evidenced":
            events = [f"{e['agent']}: {e['text']}" for e in client.http.get(f"/live/events?thread_id={thread}")["events"]]
            pytest.fail(f"{pid} ended {status}; proof {client.http.get(f'/threads/{thread}/proof')}; events:\n"
                        + "\n".join(events), pytrace=False)
