"""Our HITL interrupt in LangChain's Agent Chat UI, driven by real headless Chromium against a real server.

Launch through the SDK -> the UI renders the `workspace_patch` card -> Approve / Reject clicked in the browser ->
the squad resumes on the server (the commit lands once; the rejection is recorded). Plus a chat turn from the UI, and
one typed in the UI on a thread whose forge is a chat model: forge's messages show before the approval card.
The server runs on the fixed port the UI build was made for (FRACTALOPS_CHAT_UI_PORT, default 28124).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fractalops.armory.assets import DEFAULT_ARMORY_PATH
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.cli.devserver import DevServer, _port_taken, free_port
from fractalops.errors import ConfigError
from tests.adapters.model_fixtures import CANARY_KEY as MODEL_KEY
from tests.adapters.model_fixtures import KEY_REF, model_asset
from tests.adapters.scripted_models import Call, ModelScript, Turn, start_openai_chat
from tests.conftest import make_git_repo
from tests.e2e._chat_ui import (
    API_KEY_STORAGE,
    CHROMIUM,
    CHROMIUM_ARGS,
    ChatUI,
    LoopbackGuard,
    api_port,
    build_ui,
    wait_until,
)
from tests.e2e._journey import commits_for, decide, launch, request_of
from tests.e2e.conftest import KEYS, Server

pytestmark = pytest.mark.server

UI_TIMEOUT_MS = 30_000
"""How long the browser may take to show a card or a reply (the interrupt shows ~3 s after load here)."""
RESUME_DEADLINE = 60.0
"""How long the squad may take to leave the gate after a click in the UI."""
HEALTH = "def health():\n    return {'status': 'ok'}\n"
FORGE_SAID = "Added src/health.py with a health() function."


@pytest.fixture(scope="module")
def ui_port() -> int:
    """Where the UI is served; chosen first, because the server only answers CORS for origins it lists."""
    return free_port()


@pytest.fixture(scope="module")
def ui_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scripted chat model for forge and an Armory offering it as `model.ui` (the real langchain-openai client)."""
    script = ModelScript(turns=[Turn(calls=(Call("write_file", {"file_path": "/src/health.py", "content": HEALTH}),),
                                     text="Writing src/health.py now.")], final_text=FORGE_SAID)
    server = start_openai_chat(MODEL_KEY, script)
    default = yaml.safe_load(DEFAULT_ARMORY_PATH.read_text())
    armory = tmp_path_factory.mktemp("ui-armory") / "armory.yaml"
    asset = model_asset("openai", server, asset_id="model.ui").model_dump(mode="json", exclude_defaults=True)
    armory.write_text(yaml.safe_dump({**default, "assets": [*default["assets"], asset]}))
    yield armory
    server.stop()


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory, ui_port: int, ui_model: Path) -> Iterator[Server]:
    port = api_port()
    if _port_taken("127.0.0.1", port):
        pytest.fail(f"port {port} on 127.0.0.1 is taken, but the Agent Chat UI build is baked for it; stop whatever "
                    f"listens there or set FRACTALOPS_CHAT_UI_PORT to a free port (a new build is cached per port)")
    data_dir = tmp_path_factory.mktemp("chat-ui-server")
    # A browser client on another origin, exactly as a user would set it up (the README's Studio/Chat UI step).
    env = {"FRACTALOPS_API_KEYS": json.dumps(KEYS), "FRACTALOPS_CORS_ORIGINS": f"http://127.0.0.1:{ui_port}",
           "FRACTALOPS_ARMORY": str(ui_model)}
    LocalSecretBackend(data_dir / "secrets" / "local.json").put(KEY_REF, MODEL_KEY)
    try:
        dev = DevServer(data_dir, port=port, jobs_per_worker=10, env=env).start()
    except ConfigError as exc:
        pytest.fail(f"could not start langgraph dev on the fixed UI port {port}: {exc}")
    srv = Server(dev, data_dir)
    yield srv
    srv.dev.stop()


@pytest.fixture(scope="module")
def chat_ui(ui_server: Server, ui_port: int) -> Iterator[ChatUI]:
    build_dir, seconds = build_ui(ui_server.dev.port)
    print(f"\nAgent Chat UI build: {seconds:.1f}s ({build_dir})")
    ui = ChatUI(build_dir, ui_port).start()
    yield ui
    ui.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: run `make system-deps` (apt-get install chromium); "
                    f"never `playwright install` here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, chat_ui: ChatUI) -> Iterator[Any]:
    """A fresh browser context whose UI already holds alice's key (what the setup form would store).

    `page.errors` collects uncaught page exceptions; each test asserts it is empty (`_assert_clean`).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(f"window.localStorage.setItem({API_KEY_STORAGE!r}, 'key-alice')")
    guard = LoopbackGuard()
    context.route("**/*", guard)
    tab = context.new_page()
    tab.errors = []  # type: ignore[attr-defined]
    tab.on("pageerror", lambda exc: tab.errors.append(f"{exc}\n{getattr(exc, 'stack', '')}"[:2000]))
    tab.set_default_timeout(UI_TIMEOUT_MS)
    yield tab
    context.close()
    assert not guard.blocked, f"the UI tried to reach beyond loopback: {guard.blocked}"


def _assert_clean(page: Any) -> None:
    assert not page.errors, "uncaught errors in the Agent Chat UI page:\n" + "\n".join(page.errors)


def _launch_with_message(client: Any, repo: Path, content: str = 'print("hello")\n', path: str = "src/app.py") -> str:
    """A launch that carries both the structured input and the intent as a chat message."""
    thread = client.threads.create()["thread_id"]
    intent = f"write {path}"
    run = client.runs.create(thread, "squad", input={
        "intent": intent, "workspace": str(repo), "changes": [{"path": path, "content": content}],
        "messages": [{"type": "human", "content": intent}]})
    client.runs.join(thread, run["run_id"])
    return thread


def _card_or_error(page: Any) -> bool:
    return bool(page.errors) or page.get_by_text("Edit/Approve", exact=True).is_visible()


def _open_thread(page: Any, ui: ChatUI, thread: str, shot: Path) -> None:
    """Open the thread in the UI, wait for our interrupt card (or a page crash), screenshot it, fail on a crash."""
    page.goto(f"{ui.url}/?threadId={thread}")
    wait_until(lambda: _card_or_error(page), UI_TIMEOUT_MS / 1000, "the interrupt card (text Edit/Approve)")
    page.screenshot(path=str(shot))  # the card, or the UI's crash page
    _assert_clean(page)
    page.get_by_text("workspace_patch", exact=True).first.wait_for()


def _settled(server: Server, thread: str) -> dict[str, Any] | None:
    state = server.client().threads.get_state(thread)
    return state if not state["interrupts"] and state["next"] == [] else None


def _refused_as_editor(server: Server, thread: str) -> dict[str, Any] | None:
    state = server.client().threads.get_state(thread)
    note = state["values"].get("gate_note", "")
    return state if state["interrupts"] and "an editor counts as an author" in note else None


def _interrupted_with_new_hash(server: Server, thread: str, old_hash: str) -> dict[str, Any] | None:
    state = server.client().threads.get_state(thread)
    if not state["interrupts"]:
        return None
    action = state["interrupts"][0]["value"]["action_requests"][0]
    return action if action["args"]["content_hash"] != old_hash else None


def test_structured_launch_without_messages_renders_the_card(ui_server, chat_ui, page, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    thread = launch(ui_server.client(), repo)
    _open_thread(page, chat_ui, thread, tmp_path / "interrupt-card.png")


def test_approve_in_the_ui_commits_exactly_once(ui_server, chat_ui, page, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = ui_server.client()
    thread = _launch_with_message(client, repo)
    action = request_of(client, thread)["action_requests"][0]
    pid = action["args"]["proposal_id"]

    _open_thread(page, chat_ui, thread, tmp_path / "interrupt-card.png")
    assert not (repo / "src/app.py").exists()
    page.get_by_role("button", name="Approve", exact=True).click()

    wait_until(lambda: _settled(ui_server, thread), RESUME_DEADLINE, f"thread {thread} to leave the gate")
    assert (repo / "src/app.py").read_text() == 'print("hello")\n'
    assert commits_for(repo, pid) == 1
    record = client.http.get(f"/proposals/{pid}")
    assert [(a["decision"], a["identity"], a["content_hash"]) for a in record["approvals"]] == [
        ("approve", "alice", action["args"]["content_hash"])]
    assert record["executed"]["applied_hash"] == action["args"]["content_hash"]
    _assert_clean(page)


def test_reject_with_a_reason_in_the_ui_records_it(ui_server, chat_ui, page, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = ui_server.client()
    thread = _launch_with_message(client, repo)
    pid = request_of(client, thread)["action_requests"][0]["args"]["proposal_id"]

    _open_thread(page, chat_ui, thread, tmp_path / "interrupt-card.png")
    page.get_by_role("button", name="Description", exact=True).click()
    page.get_by_text(f"proposal {pid}", exact=False).first.wait_for()
    page.screenshot(path=str(tmp_path / "description.png"))
    page.locator("button:has(svg.lucide-x)").first.click()

    page.get_by_placeholder("Share feedback with the agent...").fill("use the logging module")
    page.get_by_text("Currently selected: Reject", exact=True).wait_for()
    page.get_by_role("button", name="Submit rejection", exact=True).click()

    wait_until(lambda: _settled(ui_server, thread), RESUME_DEADLINE, f"thread {thread} to leave the gate")
    record = client.http.get(f"/proposals/{pid}")
    assert record["status"] == "rejected" and record["feedback"] == "use the logging module"
    assert [(a["decision"], a["identity"]) for a in record["approvals"]] == [("reject", "alice")]
    assert not (repo / "src/app.py").exists() and commits_for(repo, pid) == 0
    _assert_clean(page)


def test_edit_the_diff_in_the_ui_then_approve_the_new_hash(ui_server, chat_ui, page, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = ui_server.client()
    thread = _launch_with_message(client, repo)
    action = request_of(client, thread)["action_requests"][0]
    pid, old_hash = action["args"]["proposal_id"], action["args"]["content_hash"]

    _open_thread(page, chat_ui, thread, tmp_path / "interrupt-card.png")
    diff_box = page.locator("textarea").filter(has_text="diff --git")
    diff_box.fill(action["args"]["diff"].replace("hello", "edited"))
    page.get_by_role("button", name="Submit", exact=True).click()

    again = wait_until(lambda: _interrupted_with_new_hash(ui_server, thread, old_hash), RESUME_DEADLINE,
                       "the edited proposal to come back to review with a new hash")
    assert not (repo / "src/app.py").exists(), "an edit is not an approval"
    page.get_by_text(again["args"]["content_hash"], exact=True).wait_for()
    page.screenshot(path=str(tmp_path / "edited-card.png"))
    page.get_by_role("button", name="Approve", exact=True).click()

    # alice edited it, so she counts as its author: her approval is refused and another approver decides
    wait_until(lambda: _refused_as_editor(ui_server, thread), RESUME_DEADLINE, "alice's approval to be refused")
    assert not (repo / "src/app.py").exists()
    decide(ui_server.client("key-bob"), thread, {"type": "approve"})
    wait_until(lambda: _settled(ui_server, thread), RESUME_DEADLINE, f"thread {thread} to leave the gate")
    assert (repo / "src/app.py").read_text() == 'print("edited")\n'
    assert commits_for(repo, pid) == 1
    record = client.http.get(f"/proposals/{pid}")
    assert [(a["decision"], a["content_hash"]) for a in record["approvals"]] == [
        ("edit", old_hash), ("approve", again["args"]["content_hash"])]
    _assert_clean(page)


def test_chat_message_from_the_ui_gets_a_sentence_saying_what_happened(ui_server, chat_ui, page):
    page.goto(chat_ui.url)
    page.get_by_placeholder("Type your message...").fill("how is the squad doing?")
    page.get_by_role("button", name="Send", exact=True).click()

    reply = page.get_by_text(re.compile(r"^Observed only: no workspace was given")).first
    reply.wait_for()
    thread = wait_until(lambda: (re.search(r"[?&]threadId=([0-9a-f-]{36})", page.url) or [None, None])[1],
                        10, "the UI to put the new thread id in its URL")
    messages = ui_server.client().threads.get_state(thread)["values"]["messages"]
    assert [m["type"] for m in messages] == ["human", "ai"], messages
    assert messages[0]["content"] == [{"type": "text", "text": "how is the squad doing?"}]  # the UI sends blocks
    served = messages[1]["content"]
    assert served == "Observed only: no workspace was given, so nothing was built or changed."
    assert " ".join(reply.inner_text().split()) == served
    _assert_clean(page)


def test_mark_as_resolved_in_the_ui_leaves_the_gate_waiting(ui_server, chat_ui, page, tmp_path):
    """The card's "Mark as Resolved" resumes with `Command(goto="__end__")`, which LangGraph ignores on our graph
    ("wrote to unknown channel branch:to:__end__"): the run succeeds, the thread still waits at the gate and
    nothing is decided or applied; a real decision afterwards still works."""
    repo = make_git_repo(tmp_path / "repo")
    client = ui_server.client()
    thread = _launch_with_message(client, repo)
    action = request_of(client, thread)["action_requests"][0]
    pid = action["args"]["proposal_id"]

    _open_thread(page, chat_ui, thread, tmp_path / "interrupt-card.png")
    page.get_by_role("button", name="Mark as Resolved", exact=True).click()

    def ui_run_done() -> list[dict[str, Any]] | None:
        runs = client.runs.list(thread)
        return runs if len(runs) == 2 and all(r["status"] in {"success", "error"} for r in runs) else None

    runs = wait_until(ui_run_done, RESUME_DEADLINE, "the UI's resolve run to finish")
    assert [r["status"] for r in runs] == ["success", "success"]
    assert request_of(client, thread)["action_requests"] == [action]
    assert client.threads.get_state(thread)["next"] == ["gate"]
    record = client.http.get(f"/proposals/{pid}")
    assert record["approvals"] == [] and record["status"] == "in_review", record
    assert not (repo / "src/app.py").exists() and commits_for(repo, pid) == 0

    decide(client, thread, {"type": "approve"})
    assert commits_for(repo, pid) == 1
    _assert_clean(page)


def test_a_chat_message_typed_in_the_ui_shows_forge_before_the_approval_card(ui_server, chat_ui, page, tmp_path):
    repo = make_git_repo(tmp_path / "repo")
    client = ui_server.client()
    thread = client.threads.create()["thread_id"]
    # The thread keeps its workspace and its forge binding; the UI then sends only the chat message.
    client.runs.wait(thread, "squad", input={"intent": "look", "workspace": str(repo), "mode": "observe"},
                     config={"configurable": {"bindings": {"forge": "model.ui"}}})
    page.goto(f"{chat_ui.url}/?threadId={thread}")
    page.get_by_placeholder("Type your message...").fill("add a /health endpoint")
    page.get_by_role("button", name="Send", exact=True).click()

    wait_until(lambda: _card_or_error(page), UI_TIMEOUT_MS / 1000, "the interrupt card (text Edit/Approve)")
    page.screenshot(path=str(tmp_path / "forge-then-card.png"))
    _assert_clean(page)
    said = page.get_by_text(FORGE_SAID, exact=True).first
    said.wait_for()
    card = page.get_by_text("workspace_patch", exact=True).first
    card.wait_for()
    # Document order, not two bounding boxes read at different moments: the thread view auto-scrolls while the
    # run's last events arrive, so positions taken one call apart need not share a scroll offset.
    above = said.evaluate("(el, card) => Boolean(el.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_FOLLOWING)",
                          card.element_handle())
    assert above, "forge's message shows above the approval card"
    action = request_of(client, thread)["action_requests"][0]
    assert action["args"]["files"] == ["src/health.py"] and not (repo / "src/health.py").exists()

    page.get_by_role("button", name="Approve", exact=True).click()
    wait_until(lambda: _settled(ui_server, thread), RESUME_DEADLINE, f"thread {thread} to leave the gate")
    assert (repo / "src/health.py").read_text() == HEALTH
    assert commits_for(repo, action["args"]["proposal_id"]) == 1
    _assert_clean(page)
