"""Unsafe paths through a real `langgraph dev`: refused at run creation (422), at the edit (the thread waits at the
gate), or during the run (the run ends with the refusal in its HUD and its chat reply)."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.conftest import make_git_repo
from tests.e2e._journey import decide, launch, request_of

pytestmark = pytest.mark.server


@pytest.mark.parametrize("path", [".git/config", "src/.GIT/hooks/pre-commit", "a\0b"])
def test_unsafe_change_paths_are_refused_when_the_run_is_created(server, tmp_path, path):
    repo = make_git_repo(tmp_path / "repo")
    thread = server.client().threads.create()["thread_id"]
    response = httpx.post(f"{server.url}/threads/{thread}/runs", headers={"x-api-key": "key-alice"},
                          json={"assistant_id": "squad", "input": {"intent": "x", "workspace": str(repo),
                                                                   "changes": [{"path": path, "content": "x"}]}})
    assert response.status_code == 422 and "input.changes[0].path" in response.text
    assert server.client().runs.list(thread) == []


def test_a_path_through_a_symlink_ends_the_run_refused_in_the_hud(server, tmp_path):
    (tmp_path / "outside").mkdir()
    repo = make_git_repo(tmp_path / "repo")
    (repo / "out").symlink_to(tmp_path / "outside")
    subprocess.run(["git", "-C", str(repo), "add", "out"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "l"], check=True)
    client = server.client()
    thread = launch(client, repo, path="out/evil.txt")
    state = client.threads.get_state(thread)
    assert state["next"] == [] and not state["interrupts"]
    hud = client.http.get(f"/threads/{thread}/hud")
    assert hud["launch_action"].startswith("done: refused: ") and "goes through the symlink 'out'" in hud["launch_action"]
    reply = state["values"]["messages"][-1]
    assert reply["type"] == "ai" and reply["content"].startswith("Refused: ")
    assert list((tmp_path / "outside").iterdir()) == []


def test_an_unsafe_edit_is_refused_and_the_thread_stays_at_the_gate(server, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = server.client()
    thread = launch(client, repo)
    action = request_of(client, thread)["action_requests"][0]
    link = ("diff --git a/passwd b/passwd\nnew file mode 120000\n--- /dev/null\n+++ b/passwd\n@@ -0,0 +1 @@\n"
            "+/etc/passwd\n\\ No newline at end of file\n")
    state = decide(server.client("key-bob"), thread,
                   {"type": "edit", "edited_action": {**action, "args": {**action["args"], "diff": link}}})
    again = state["interrupts"][0]["value"]["action_requests"][0]
    assert "previous decision refused" in again["description"] and "would become a symlink" in again["description"]
    assert again["args"]["content_hash"] == action["args"]["content_hash"]
    assert not (repo / "passwd").exists()
