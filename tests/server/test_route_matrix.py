"""The route × role matrix: every path and method of the server's own OpenAPI document, against the access table.

For each route: no key and a wrong key get 401 (only `/ok` answers without one; the dev runtime's `/internal/*` and
`/deploy*` answer 404 to everyone); then each role class acts on resources that belong to another identity
(carol, role-less), and carol acts on her own. What each role class may do comes from `server.access.POLICY`
through the route's (resource, action) below. A route in the OpenAPI document that this table does not name fails
the test, so a route added later without an auth rule cannot slip through.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from fractalops.identity import Principal
from fractalops.server.access import Access, decide
from tests.conftest import make_git_repo
from tests.e2e.conftest import KEYS, Server

pytestmark = pytest.mark.server

ROLE_KEYS = {"operator": "key-alice", "reviewer": "key-bob", "agent": "key-bot", "none": "key-dave",
             "telemetry": "key-tele"}
"""One key per role class of the access table; none of them owns carol's resources."""
OWNER_KEY = "key-carol"


@dataclass(frozen=True)
class Rule:
    resource: str
    action: str
    kind: str = "instance"
    """`instance`: acts on carol's resource · `collection`: lists (carol's must not show unless `all`) ·
    `create`: makes something new (the caller's own) · `plain`: no per-identity resource."""
    body: Callable[[Resources], Any] | None = None
    query: Callable[[Resources], dict[str, str]] | None = None
    fresh: bool = False
    """Mutates carol's resource: every case gets its own."""
    allowed_status: frozenset[int] = frozenset()
    """Non-2xx answers that still mean "allowed" for this route (e.g. 501 for a backend feature)."""
    stream: bool = False
    pending: bool = False
    """Acts on a run still waiting in the queue (cancel)."""


@dataclass
class Resources:
    """Resources owned by carol (role class `none`), reached by everyone else."""

    thread_id: str
    run_id: str
    checkpoint_id: str
    proposal_id: str
    cron_id: str
    assistant_id: str
    extra: dict[str, str] = field(default_factory=dict)


def _run_body(res: Resources) -> dict[str, Any]:
    return {"assistant_id": "squad", "input": {"intent": "matrix probe"}}


_MINUTELY_SAFE = "0 0 * * *"
_ANY = None

ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/"): Rule("server_meta", "read", "plain"),
    ("GET", "/info"): Rule("server_meta", "read", "plain"),
    ("GET", "/docs"): Rule("server_meta", "read", "plain"),
    ("GET", "/openapi.json"): Rule("server_meta", "read", "plain"),
    ("GET", "/metrics"): Rule("server_meta", "read", "plain"),
    # assistants: configs only by operators
    ("POST", "/assistants"): Rule("assistants", "create", "create",
                                  body=lambda r: {"graph_id": "squad", "name": f"matrix-{uuid.uuid4().hex[:8]}"}),
    ("POST", "/assistants/search"): Rule("assistants", "search", "plain", body=lambda r: {}),
    ("POST", "/assistants/count"): Rule("assistants", "search", "plain", body=lambda r: {}),
    ("GET", "/assistants/{assistant_id}"): Rule("assistants", "read"),
    ("PATCH", "/assistants/{assistant_id}"): Rule("assistants", "update", body=lambda r: {"metadata": {"probe": 1}},
                                                  fresh=True),
    ("DELETE", "/assistants/{assistant_id}"): Rule("assistants", "delete", fresh=True),
    ("GET", "/assistants/{assistant_id}/graph"): Rule("assistants", "read"),
    ("GET", "/assistants/{assistant_id}/subgraphs"): Rule("assistants", "read"),
    ("GET", "/assistants/{assistant_id}/subgraphs/{namespace}"): Rule("assistants", "read"),
    ("GET", "/assistants/{assistant_id}/schemas"): Rule("assistants", "read"),
    ("POST", "/assistants/{assistant_id}/versions"): Rule("assistants", "read", body=lambda r: {}),
    ("POST", "/assistants/{assistant_id}/latest"): Rule("assistants", "update", body=lambda r: {"version": 1},
                                                        fresh=True),
    # threads
    ("POST", "/threads"): Rule("threads", "create", "create", body=lambda r: {}),
    ("POST", "/threads/search"): Rule("threads", "search", "collection", body=lambda r: {"limit": 1000}),
    ("POST", "/threads/count"): Rule("threads", "search", "plain", body=lambda r: {}),
    ("POST", "/threads/prune"): Rule("threads", "delete", body=lambda r: {"thread_ids": [r.thread_id]}, fresh=True),
    ("GET", "/threads/{thread_id}"): Rule("threads", "read"),
    ("PATCH", "/threads/{thread_id}"): Rule("threads", "update", body=lambda r: {"metadata": {"probe": "x"}},
                                            fresh=True),
    ("DELETE", "/threads/{thread_id}"): Rule("threads", "delete", fresh=True),
    ("GET", "/threads/{thread_id}/state"): Rule("threads", "read"),
    ("POST", "/threads/{thread_id}/state"): Rule("threads", "update", fresh=True,
                                                 body=lambda r: {"values": {"gate_note": "probe"}, "as_node": "signal"}),
    ("GET", "/threads/{thread_id}/state/{checkpoint_id}"): Rule("threads", "read"),
    ("POST", "/threads/{thread_id}/state/checkpoint"): Rule(
        "threads", "read", body=lambda r: {"checkpoint": {"checkpoint_id": r.checkpoint_id}}),
    ("GET", "/threads/{thread_id}/history"): Rule("threads", "read"),
    ("POST", "/threads/{thread_id}/history"): Rule("threads", "read", body=lambda r: {"limit": 2}),
    ("POST", "/threads/{thread_id}/copy"): Rule("threads", "read", body=lambda r: {}),
    ("GET", "/threads/{thread_id}/stream"): Rule("threads", "read", stream=True),
    # runs on a thread: creating one is create_run; cancelling is update; deleting is delete
    ("GET", "/threads/{thread_id}/runs"): Rule("threads", "read"),
    ("POST", "/threads/{thread_id}/runs"): Rule("threads", "create_run", body=_run_body, fresh=True),
    ("POST", "/threads/{thread_id}/runs/wait"): Rule("threads", "create_run", body=_run_body, fresh=True),
    ("POST", "/threads/{thread_id}/runs/stream"): Rule("threads", "create_run", body=_run_body, fresh=True,
                                                       stream=True),
    ("POST", "/threads/{thread_id}/runs/crons"): Rule(
        "crons", "create_on_thread", body=lambda r: {"assistant_id": "squad", "schedule": _MINUTELY_SAFE}, fresh=True),
    ("GET", "/threads/{thread_id}/runs/{run_id}"): Rule("threads", "read"),
    ("DELETE", "/threads/{thread_id}/runs/{run_id}"): Rule("threads", "delete", fresh=True),
    ("POST", "/threads/{thread_id}/runs/{run_id}/cancel"): Rule("threads", "update", fresh=True, pending=True),
    ("GET", "/threads/{thread_id}/runs/{run_id}/join"): Rule("threads", "read"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/stream"): Rule("threads", "read", stream=True),
    # stateless runs start a thread of the caller's own
    ("POST", "/runs"): Rule("threads", "create_run", "create", body=_run_body),
    ("POST", "/runs/wait"): Rule("threads", "create_run", "create", body=_run_body),
    ("POST", "/runs/stream"): Rule("threads", "create_run", "create", body=_run_body, stream=True),
    ("POST", "/runs/batch"): Rule("threads", "create_run", "create", body=lambda r: [_run_body(r)]),
    ("POST", "/runs/cancel"): Rule("threads", "update", fresh=True, pending=True,
                                   body=lambda r: {"thread_id": r.thread_id, "run_ids": [r.run_id]}),
    # crons
    ("POST", "/runs/crons"): Rule("crons", "create", "create",
                                  body=lambda r: {"assistant_id": "squad", "schedule": _MINUTELY_SAFE}),
    ("POST", "/runs/crons/search"): Rule("crons", "search", "collection", body=lambda r: {"limit": 1000}),
    ("POST", "/runs/crons/count"): Rule("crons", "search", "plain", body=lambda r: {}),
    ("GET", "/runs/crons/{cron_id}"): Rule("crons", "read"),
    ("PATCH", "/runs/crons/{cron_id}"): Rule("crons", "update", body=lambda r: {"schedule": "0 1 * * *"}, fresh=True),
    ("DELETE", "/runs/crons/{cron_id}"): Rule("crons", "delete", fresh=True),
    # store: others are confined to their own namespace, so carol's item is never found
    ("PUT", "/store/items"): Rule("store", "put", fresh=True,
                                  body=lambda r: {"namespace": ["carol", "notes"], "key": "k", "value": {"by": "probe"}}),
    ("GET", "/store/items"): Rule("store", "get", query=lambda r: {"namespace": "carol.notes", "key": "k"}),
    ("DELETE", "/store/items"): Rule("store", "delete", fresh=True,
                                     body=lambda r: {"namespace": ["carol", "notes"], "key": "k"}),
    ("POST", "/store/items/search"): Rule("store", "search", "collection",
                                          body=lambda r: {"namespace_prefix": ["carol"], "limit": 100}),
    ("POST", "/store/namespaces"): Rule("store", "list_namespaces", "collection", body=lambda r: {}),
    # ours
    ("GET", "/threads/{thread_id}/hud"): Rule("hud", "read"),
    ("GET", "/threads/{thread_id}/hud/diagnostics"): Rule("hud_diagnostics", "read"),
    ("GET", "/threads/{thread_id}/proof"): Rule("proof", "read"),
    ("GET", "/projection"): Rule("projection", "read", "collection"),
    ("GET", "/projection/{thread_id}"): Rule("projection", "read"),
    ("GET", "/live/events"): Rule("live_events", "read", query=lambda r: {"thread_id": r.thread_id}),
    ("GET", "/proposals"): Rule("proposals", "read", "collection"),
    ("GET", "/proposals/{proposal_id}"): Rule("proposals", "read"),
    ("GET", "/warehouse/tables"): Rule("warehouse", "read", "plain"),
    ("GET", "/evidence/verify"): Rule("evidence", "read", "plain"),
    ("GET", "/whoami"): Rule("identity", "read", "plain"),
    ("GET", "/armory"): Rule("armory", "read", "plain"),
    # the default Armory declares no MCP server: an allowed caller is told the asset is not one (422), not refused
    ("GET", "/armory/{asset_id}/tools"): Rule("armory_tools", "read", "plain", allowed_status=frozenset({422})),
    ("GET", "/secrets"): Rule("secrets", "read", "plain"),
    ("PUT", "/secrets"): Rule("secrets", "write", "plain",
                              body=lambda r: {"ref": "openbao://kv/matrix/probe#v", "value": "probe-value"}),
    ("DELETE", "/secrets"): Rule("secrets", "delete", "plain", query=lambda r: {"ref": "openbao://kv/matrix/gone#v"},
                                 allowed_status=frozenset({404})),
    ("GET", "/connectors/reconcile-ssot"): Rule("connectors", "read", "plain"),
    ("GET", "/semantics/describe"): Rule("semantics", "read", "plain",
                                         query=lambda r: {"iri": "https://fractalops.dev/ontology#DomainTerm"}),
    ("GET", "/semantics/impact"): Rule("semantics", "read", "plain", query=lambda r: {"target": "shop/orders"},
                                       allowed_status=frozenset({422})),
    ("POST", "/semantics/terms/check"): Rule("semantics", "read", "plain", body=lambda r: {
        "filename": "shop.yaml", "content": "project: shop\nterms: {}\n", "project": None},
        allowed_status=frozenset({422})),
    # carol's shared thread has no Chronicle entry yet: an operator gets "no such entry", everyone else a 403
    ("GET", "/evidence/entry"): Rule("evidence", "read", "plain", query=lambda r: {"ref": "chronicle://main/0"},
                                     allowed_status=frozenset({404})),
    ("GET", "/evidence/proof"): Rule("evidence", "read", "plain", query=lambda r: {"index": "0"},
                                     allowed_status=frozenset({404})),
    ("POST", "/warehouse/query"): Rule("warehouse", "read", "plain", body=lambda r: {"sql": "SELECT 1 AS one"}),
    ("GET", "/features/{agent}"): Rule("features", "read", "plain"),
    # telemetry: an empty OTLP body is a valid empty export; no metrics backend on this server (404)
    ("POST", "/v1/traces"): Rule("telemetry", "write", "plain"),
    ("POST", "/v1/logs"): Rule("telemetry", "write", "plain"),
    ("POST", "/v1/metrics"): Rule("telemetry", "write", "plain", allowed_status=frozenset({404})),
    ("GET", "/telemetry/stats"): Rule("telemetry", "read", "plain"),
    ("GET", "/telemetry/quarantine"): Rule("telemetry", "read", "plain"),
    ("GET", "/telemetry/quarantine/raw"): Rule("telemetry", "read", "plain", query=lambda r: {"ref": "sha256:" + "0" * 64},
                                               allowed_status=frozenset({404})),
    ("POST", "/telemetry/replay-quarantine"): Rule("telemetry", "replay", "plain", body=lambda r: {}),
}
PUBLIC = {("GET", "/ok")}
PROJECT_KEYED = {("POST", path) for path in ("/batch/", "/capture/", "/e/", "/i/v0/e/", "/flags/")}
"""PostHog intake: no API key, the project key in the body is its authentication; without one it is a 401 whatever
API key is sent (and no role reaches anything else through it)."""
BLOCKED = {("POST", "/internal/truncate"), ("GET", "/internal/debug/thread/{thread_id}"), ("GET", "/deploy"),
           ("POST", "/deploy"), ("GET", "/deploy/{operation_id}/stream"), ("POST", "/threads/{thread_id}/commands"),
           ("POST", "/threads/{thread_id}/stream/events")}
"""The dev runtime's own routes and the v2 event-streaming transport: 404 for everyone, with or without a key."""
UNMOUNTED = {("GET", "/threads/{thread_id}/storage"): 501}
"""In the OpenAPI document but not available on this server: checkpoint storage (custom checkpointer)."""


def _client(server: Server, key: str | None) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"x-api-key": key} if key else {}, timeout=60)


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.text[:300]}"
    return response.json()


def _carol_resources(server: Server, repo_root: Path, *, gate: bool, pending: bool = False,
                     only: str | None = None) -> Resources:
    """Carol's thread with one finished run (waiting at the gate with a proposal when `gate`), a cron, a store item,
    and an assistant (an operator's: assistants have no owner). `only` makes just what one resource needs."""
    with _client(server, OWNER_KEY) as carol, _client(server, "key-alice") as alice:
        thread = carol.post("/threads", json={}).json()["thread_id"]
        payload: dict[str, Any] = {"intent": "matrix probe"}
        if gate:
            repo = make_git_repo(repo_root / f"repo-{uuid.uuid4().hex[:8]}")
            payload |= {"workspace": str(repo), "changes": [{"path": "src/m.py", "content": "X = 1\n"}]}
        run = _ok(carol.post(f"/threads/{thread}/runs", json={"assistant_id": "squad", "input": payload}))
        carol.get(f"/threads/{thread}/runs/{run['run_id']}/join").raise_for_status()
        state = _ok(carol.get(f"/threads/{thread}/state"))
        proposals = carol.get("/proposals", params={"thread_id": thread}).json()["proposals"] if gate else []
        cron = assistant = {}
        if only in (None, "crons"):
            cron = carol.post("/runs/crons", json={"assistant_id": "squad", "schedule": _MINUTELY_SAFE}).json()
        if only in (None, "assistants"):
            assistant = alice.post("/assistants", json={"graph_id": "squad", "name": f"m-{uuid.uuid4().hex[:8]}"}).json()
        if only in (None, "store"):
            carol.put("/store/items", json={"namespace": ["notes"], "key": "k", "value": {"by": "carol"}}).raise_for_status()
        if pending:  # a run still in the queue, so a cancel has something to cancel
            run = _ok(carol.post(f"/threads/{thread}/runs", json={"assistant_id": "squad", "after_seconds": 3600,
                                                                  "input": {"intent": "later"}}))
    return Resources(thread_id=thread, run_id=run["run_id"], checkpoint_id=state["checkpoint"]["checkpoint_id"],
                     proposal_id=proposals[0]["id"] if proposals else "prop_missing",
                     cron_id=cron.get("cron_id", "no-cron"), assistant_id=assistant.get("assistant_id", "no-assistant"))


def _url(path: str, res: Resources) -> str:
    return (path.replace("{thread_id}", res.thread_id).replace("{run_id}", res.run_id)
            .replace("{checkpoint_id}", res.checkpoint_id).replace("{proposal_id}", res.proposal_id)
            .replace("{cron_id}", res.cron_id).replace("{assistant_id}", res.assistant_id)
            .replace("{namespace}", "forge").replace("{operation_id}", "op").replace("{asset_id}", "workspace.default")
            .replace("{agent}", "forge"))


def _request(client: httpx.Client, method: str, path: str, rule: Rule | None, res: Resources) -> httpx.Response:
    kwargs: dict[str, Any] = {}
    if rule and rule.body is not None:
        kwargs["json"] = rule.body(res)
    if rule and rule.query is not None:
        kwargs["params"] = rule.query(res)
    if rule and rule.stream:
        # Server-sent events: the first chunk says whether the stream is the caller's (an auth refusal arrives as an
        # `event: error` carrying 404 after the 200 status line).
        deadline = time.monotonic() + 2.0
        with client.stream(method, _url(path, res), timeout=httpx.Timeout(10, read=2), **kwargs) as response:
            first = b""
            try:
                for chunk in response.iter_bytes():
                    first += chunk
                    if b"event:" in first and b"\n\n" in first.split(b"event:", 1)[1] or time.monotonic() > deadline:
                        break
            except httpx.ReadTimeout:
                pass
            return httpx.Response(response.status_code, content=first, request=response.request)
    return client.request(method, _url(path, res), **kwargs)


def _settle(server: Server, timeout_s: float = 30) -> None:
    """Wait until no run is in flight: stateless runs end by deleting their temporary thread, and the dev runtime
    has been seen to lose a thread created while such deletions were under way."""
    deadline = time.monotonic() + timeout_s
    with _client(server, "key-alice") as alice:
        while time.monotonic() < deadline:
            if not alice.post("/threads/search", json={"status": "busy", "limit": 1}).json():
                return
            time.sleep(0.1)  # polling the runtime's own thread status; there is no event to wait on


def _carol_still_owns(server: Server, res: Resources, resource: str) -> str | None:
    """After a refused mutation: carol's thread (and her cron or store item) are exactly as she left them."""
    with _client(server, OWNER_KEY) as carol:
        thread = carol.get(f"/threads/{res.thread_id}")
        if thread.status_code != 200 or thread.json()["metadata"].get("probe"):
            return f"carol's thread changed: {thread.status_code} {thread.text[:120]}"
        if resource == "crons" and carol.get(f"/runs/crons/{res.cron_id}").status_code != 200:
            return "carol's cron is gone"
        if resource == "store":
            item = carol.get("/store/items", params={"namespace": "notes", "key": "k"})
            if item.status_code != 200 or item.json()["value"] != {"by": "carol"}:
                return f"carol's store item changed: {item.status_code} {item.text[:120]}"
    return None


def _judge(rule: Rule, access: Access, response: httpx.Response, res: Resources, owner: bool) -> str | None:
    status, text = response.status_code, response.text
    if rule.stream and status == 200 and text.startswith("event: error") and ('404' in text or '403' in text):
        status = 404
    allowed = 200 <= status < 300 or status in rule.allowed_status
    reaches = access is Access.ALL or (access is Access.OWN and (owner or rule.kind in ("create", "plain",
                                                                                        "collection")))
    if rule.resource == "store" and not owner and access is Access.OWN:
        # Confined, not refused: the request lands in the caller's own namespace and never finds carol's item.
        return None if status in (200, 204, 404) and '"by": "carol"' not in text and '"by":"carol"' not in text \
            else f"store not confined: {status} {text[:160]}"
    if not reaches:
        if status not in (403, 404, 409):
            return f"expected a refusal (403/404), got {status} {text[:160]}"
        return None
    if not allowed:
        return f"expected access ({access}), got {status} {text[:160]}"
    if rule.kind == "collection" and access is Access.OWN and not owner:
        for ident in (res.thread_id, res.cron_id, res.proposal_id):
            if ident in text:
                return f"listing shows carol's {ident} to another identity"
    return None


@pytest.mark.timeout(900)
def test_every_route_has_a_rule_and_every_role_gets_exactly_it(server: Server, tmp_path: Path) -> None:
    with _client(server, "key-alice") as alice:
        spec = alice.get("/openapi.json").json()
    routes = [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops]
    failures: list[str] = []
    unruled = [f"{m} {p}" for m, p in routes
               if (m, p) not in ROUTES and (m, p) not in PUBLIC | PROJECT_KEYED | BLOCKED | set(UNMOUNTED)]
    assert not unruled, f"routes with no access rule (add them to POLICY and to ROUTES here): {unruled}"
    shared = _carol_resources(server, tmp_path, gate=True)
    principals = {cls: Principal(KEYS[key]["identity"], frozenset(KEYS[key]["roles"])) for cls, key in ROLE_KEYS.items()}
    assert {cls: p.role_class for cls, p in principals.items()} == {cls: cls for cls in ROLE_KEYS}

    for method, path in routes:
        rule = ROUTES.get((method, path))
        for label, key in (("no key", None), ("wrong key", "not-a-key")):
            with _client(server, key) as anon:
                status = (anon.request(method, path, json={"batch": []}).status_code if (method, path) in PROJECT_KEYED
                          else _request(anon, method, path, rule, shared).status_code)
            want = 200 if (method, path) in PUBLIC else 404 if (method, path) in BLOCKED else 401  # PROJECT_KEYED: no project key
            if status != want:
                failures.append(f"{method} {path} [{label}]: {status}, expected {want}")
        if (method, path) in PROJECT_KEYED:
            for key in (*ROLE_KEYS.values(), OWNER_KEY):
                with _client(server, key) as client:
                    status = client.request(method, path, json={"batch": []}).status_code
                if status != 401:
                    failures.append(f"{method} {path} [{key}, no project key]: {status}, expected 401")
            continue
        if (method, path) in UNMOUNTED:
            for key in (*ROLE_KEYS.values(), OWNER_KEY):
                with _client(server, key) as client:
                    status = client.request(method, _url(path, shared), json={}).status_code
                want = 403 if key == ROLE_KEYS["telemetry"] else UNMOUNTED[(method, path)]  # confined before it
                if status != want:
                    failures.append(f"{method} {path} [{key}]: {status}, expected {want}")
            continue
        if rule is None:
            continue
        actors = [(cls, ROLE_KEYS[cls], decide(principals[cls], rule.resource, rule.action), False) for cls in ROLE_KEYS]
        actors.append(("owner carol", OWNER_KEY, decide(Principal("carol", frozenset()), rule.resource, rule.action),
                       True))
        for label, key, access, owner in actors:
            res = (_carol_resources(server, tmp_path, gate=False, pending=rule.pending, only=rule.resource)
                   if rule.fresh else shared)
            with _client(server, key) as client:
                response = _request(client, method, path, rule, res)
            if problem := _judge(rule, access, response, res, owner):
                failures.append(f"{method} {path} [{label}, {access}]: {problem}")
            elif rule.fresh and not owner and access is not Access.ALL and (
                    problem := _carol_still_owns(server, res, rule.resource)):
                failures.append(f"{method} {path} [{label}]: refused but {problem}")
            if rule.pending:  # a refused cancel leaves the queued run: cancel it, or the thread stays busy
                with _client(server, "key-alice") as alice:
                    alice.post(f"/threads/{res.thread_id}/runs/{res.run_id}/cancel")
        if rule.resource == "threads" and rule.action == "create_run" and rule.kind == "create":
            _settle(server)
    assert not failures, "route x role matrix:\n" + "\n".join(failures)


def test_if_exists_never_returns_another_identitys_thread(server: Server, tmp_path: Path) -> None:
    res = _carol_resources(server, tmp_path, gate=True)
    for key in ROLE_KEYS.values():
        with _client(server, key) as client:
            response = client.post("/threads", json={"thread_id": res.thread_id, "if_exists": "do_nothing"})
        want = 403 if key == ROLE_KEYS["telemetry"] else 409  # a telemetry key reaches no thread route at all
        assert response.status_code == want, (key, response.status_code, response.text[:200])
        assert "values" not in response.text


def test_owner_cannot_be_set_or_changed_by_a_caller(server: Server) -> None:
    with _client(server, OWNER_KEY) as carol:
        thread = carol.post("/threads", json={"metadata": {"owner": "alice"}}).json()
        assert thread["metadata"]["owner"] == "carol"
        refused = carol.patch(f"/threads/{thread['thread_id']}", json={"metadata": {"owner": "dave"}})
        assert refused.status_code == 403 and "set by the server" in refused.text


def test_cron_schedules_above_the_floor_and_thread_crons_for_operators(server: Server, tmp_path: Path) -> None:
    res = _carol_resources(server, tmp_path, gate=False)
    with _client(server, OWNER_KEY) as carol:
        for schedule in ("* * * * *", "*/5 * * * *", "0,30 * * * *"):
            refused = carol.post("/runs/crons", json={"assistant_id": "squad", "schedule": schedule})
            assert refused.status_code == 422 and "FRACTALOPS_CRON_MIN_INTERVAL_S" in refused.text, schedule
        own = carol.post(f"/threads/{res.thread_id}/runs/crons", json={"assistant_id": "squad", "schedule": "0 0 * * *"})
        assert own.status_code == 403 and "allowed: operator" in own.text
        assert carol.patch(f"/runs/crons/{res.cron_id}", json={"schedule": "* * * * *"}).status_code == 422


def test_a_run_may_bind_only_assets_its_roles_allow(server: Server, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "bind-repo")
    body = {"assistant_id": "squad", "input": {"intent": "x", "workspace": str(repo),
                                               "changes": [{"path": "a.txt", "content": "a\n"}]},
            "config": {"configurable": {"bindings": {"forge": "claude.default"}}}}
    with _client(server, OWNER_KEY) as carol:
        thread = carol.post("/threads", json={}).json()["thread_id"]
        refused = carol.post(f"/threads/{thread}/runs", json=body)
        assert refused.status_code == 403 and "allowed_roles" in refused.text
        as_context = {**body, "config": {}, "context": {"bindings": {"forge": "claude.default"}}}
        assert carol.post(f"/threads/{thread}/runs", json=as_context).status_code == 403
        unknown = {**body, "config": {"configurable": {"bindings": {"forge": "no.such.asset"}}}}
        assert carol.post(f"/threads/{thread}/runs", json=unknown).status_code == 422
    subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], check=True)
    assert not (repo / "a.txt").exists()


def test_shared_assistant_configs_cannot_be_changed_by_non_operators(server: Server) -> None:
    with _client(server, "key-alice") as alice:
        squad = alice.post("/assistants/search", json={"graph_id": "squad"}).json()[0]["assistant_id"]
    for key in ("key-bob", "key-bot", "key-dave"):
        with _client(server, key) as client:
            response = client.patch(f"/assistants/{squad}", json={"config": {"configurable": {"bindings": {
                "forge": "claude.default"}}}})
            assert response.status_code == 403, (key, response.text)
    with _client(server, "key-alice") as alice:
        assert "bindings" not in (alice.get(f"/assistants/{squad}").json().get("config") or {}).get("configurable", {})
