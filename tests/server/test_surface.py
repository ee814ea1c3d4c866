"""The server surface: a key everywhere but /ok, blocked dev-runtime routes, CORS only for listed origins."""

from __future__ import annotations

import gzip
import json
import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from fractalops.errors import ConfigError
from fractalops.server import keys as keys_module
from fractalops.server import surface as surface_module
from fractalops.server.surface import ServerSurface
from tests.e2e.conftest import Server

STUDIO = "https://smith.langchain.com"


def _inner(request) -> JSONResponse:
    # What LangGraph's own CORS middleware does on every response when it is left on.
    return JSONResponse({"ok": True}, headers={"access-control-allow-origin": "*",
                                               "access-control-allow-private-network": "true"})


@pytest.fixture
def surface(monkeypatch: pytest.MonkeyPatch, tmp_path) -> TestClient:
    monkeypatch.setenv("FRACTALOPS_API_KEYS", json.dumps({"k": {"identity": "alice", "roles": ["operator"]}}))
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRACTALOPS_CORS_ORIGINS", f"{STUDIO}, http://127.0.0.1:3000/")
    monkeypatch.setattr(keys_module, "_RING", keys_module.KeyRing(tmp_path))
    routes = [Route(p, _inner, methods=["GET", "POST"]) for p in ("/ok", "/info", "/threads/search",
                                                                  "/internal/truncate", "/deploy",
                                                                  "/threads/t1/commands", "/threads/t1/stream/events")]
    return TestClient(Starlette(routes=routes, middleware=[Middleware(ServerSurface)]))


def test_only_ok_answers_without_a_key(surface: TestClient) -> None:
    assert surface.get("/ok").status_code == 200
    for path in ("/info", "/threads/search"):
        assert surface.get(path).status_code == 401
        assert surface.get(path, headers={"x-api-key": "wrong"}).json()["detail"] == "invalid API key"
        assert surface.get(path, headers={"authorization": "Bearer k"}).status_code == 200


@pytest.mark.parametrize("path", ["/internal/truncate", "/deploy", "/threads/t1/commands", "/threads/t1/stream/events"])
def test_dev_runtime_and_v2_streaming_routes_are_unreachable(surface: TestClient, path: str) -> None:
    assert surface.post(path, headers={"x-api-key": "k"}).status_code == 404
    assert surface.post(path).status_code == 404


def test_cors_only_for_listed_origins(surface: TestClient) -> None:
    evil = surface.get("/ok", headers={"origin": "https://evil.example"})
    assert not [h for h in evil.headers if h.startswith("access-control-")], "LangGraph's `*` is stripped"
    studio = surface.get("/ok", headers={"origin": STUDIO})
    assert studio.headers["access-control-allow-origin"] == STUDIO and studio.headers["vary"] == "Origin"
    assert "access-control-allow-private-network" not in studio.headers
    local = surface.get("/info", headers={"origin": "http://127.0.0.1:3000", "x-api-key": "k"})
    assert local.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"


def test_preflight_answers_listed_origins_only(surface: TestClient) -> None:
    ask = {"access-control-request-method": "POST", "access-control-request-headers": "x-api-key, content-type",
           "access-control-request-private-network": "true"}
    refused = surface.options("/threads/search", headers={"origin": "https://evil.example", **ask})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    allowed = surface.options("/threads/search", headers={"origin": STUDIO, **ask})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == STUDIO
    assert allowed.headers["access-control-allow-headers"] == "x-api-key, content-type"
    assert allowed.headers["access-control-allow-private-network"] == "true"


def test_oversized_bodies_are_refused_before_they_are_read(surface: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_MAX_BODY_BYTES", "1000")
    small = TestClient(Starlette(routes=[Route("/threads/search", _echo_size, methods=["POST"])],
                                 middleware=[Middleware(ServerSurface)]))
    assert small.post("/threads/search", content=b"x" * 999, headers={"x-api-key": "k"}).json() == {"read": 999}
    refused = small.post("/threads/search", content=b"x" * 1001, headers={"x-api-key": "k"})
    assert refused.status_code == 413 and "FRACTALOPS_MAX_BODY_BYTES" in refused.text

    def chunks():
        for _ in range(20):
            yield b"x" * 100
    cut = small.post("/threads/search", content=chunks(), headers={"x-api-key": "k"})
    assert cut.status_code == 413, "a body without a length is cut off at the cap"


async def _echo_size(request):
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return JSONResponse({"read": size})


def test_only_meta_routes_can_be_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_PUBLIC_ROUTES", "/info,/threads/search")
    with pytest.raises(ConfigError, match="may open only /info, /docs, /openapi.json, /metrics"):
        ServerSurface(_inner)


@pytest.mark.server
def test_the_real_server_refuses_oversized_and_compressed_bodies(server: Server) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:  # a declared 64 MiB, never sent
        sock.sendall(f"POST /threads/search HTTP/1.1\r\nHost: {host}\r\nx-api-key: key-alice\r\n"
                     f"content-type: application/json\r\ncontent-length: {64 << 20}\r\n\r\n{{}}".encode())
        assert sock.recv(200).startswith(b"HTTP/1.1 413")
    gz = httpx.post(f"{server.url}/warehouse/query", headers={"x-api-key": "key-alice", "content-encoding": "gzip"},
                    content=gzip.compress(b'{"sql": "SELECT 1"}'))
    assert gz.status_code == 415 and "uncompressed" in gz.text


@pytest.mark.server
def test_the_real_server_sends_no_cors_by_default(server: Server) -> None:
    response = httpx.get(f"{server.url}/ok", headers={"origin": "https://evil.example"})
    assert not [h for h in response.headers if h.startswith("access-control-")]
    preflight = httpx.options(f"{server.url}/threads/search", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST",
        "access-control-request-private-network": "true"})
    assert preflight.status_code == 403 and "access-control-allow-private-network" not in preflight.headers


def _intake_surface(monkeypatch: pytest.MonkeyPatch, tmp_path) -> TestClient:
    monkeypatch.setenv("FRACTALOPS_API_KEYS", json.dumps({
        "k": {"identity": "alice", "roles": ["operator"]},
        "t": {"identity": "collector", "roles": ["telemetry"], "project": "shop"},
        "ta": {"identity": "both", "roles": ["telemetry", "operator", "approver"]}}))
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(keys_module, "_RING", keys_module.KeyRing(tmp_path))
    paths = ("/batch/", "/batch", "/e/", "/flags/", "/v1/traces", "/v1/logs", "/v1/metrics", "/info",
             "/threads/search", "/telemetry/stats")
    return TestClient(Starlette(routes=[Route(p, _inner, methods=["GET", "POST"]) for p in paths],
                                middleware=[Middleware(ServerSurface)]))


def test_posthog_intake_takes_no_key_only_where_and_how_posthog_posts(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path) -> None:
    surface = _intake_surface(monkeypatch, tmp_path)
    for path in ("/batch/", "/e/", "/flags/"):
        assert surface.post(path).status_code == 200, path  # the route itself checks the body's project key
        assert surface.get(path).status_code == 401, f"GET {path} is not PostHog intake"
    assert surface.post("/batch").status_code == 401, "only the exact paths"
    assert surface.post("/v1/traces").status_code == 401


def test_a_telemetry_key_reaches_the_otlp_intake_and_nothing_else(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    surface = _intake_surface(monkeypatch, tmp_path)
    for key in ("t", "ta"):  # the telemetry role confines a key, whatever else it holds
        for path in ("/v1/traces", "/v1/logs", "/v1/metrics"):
            assert surface.post(path, headers={"x-api-key": key}).status_code == 200
        for method, path in (("GET", "/info"), ("POST", "/threads/search"), ("GET", "/telemetry/stats"),
                             ("GET", "/v1/traces")):
            refused = surface.request(method, path, headers={"x-api-key": key})
            assert refused.status_code == 403 and "may only send telemetry" in refused.text, (key, method, path)
    assert surface.get("/info", headers={"x-api-key": "k"}).status_code == 200


def test_a_route_hears_of_the_key_refusals_on_its_path_and_a_broken_listener_changes_no_answer(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    surface = _intake_surface(monkeypatch, tmp_path)
    heard: list[tuple[int, str]] = []

    async def listener(status: int, detail: str) -> None:
        heard.append((status, detail))

    async def broken(status: int, detail: str) -> None:
        raise RuntimeError("count store is down")

    monkeypatch.setattr(surface_module, "_key_refusal_listeners", {})
    surface_module.on_key_refused("POST", "/v1/traces", listener)
    surface_module.on_key_refused("POST", "/v1/logs", broken)
    assert surface.post("/v1/traces").status_code == 401
    assert surface.post("/v1/traces", headers={"x-api-key": "nope"}).status_code == 401
    assert surface.post("/v1/traces", headers={"x-api-key": "t"}).status_code == 200
    assert surface.post("/v1/metrics", headers={"x-api-key": "nope"}).status_code == 401
    assert heard == [(401, "missing API key: send it as the x-api-key header"), (401, "invalid API key")]
    refused = surface.post("/v1/logs", headers={"x-api-key": "nope"})
    assert refused.status_code == 401 and refused.json() == {"detail": "invalid API key"}


def test_the_app_drops_the_private_network_middleware_the_surface_makes_redundant() -> None:
    """`langgraph dev` adds its PrivateNetworkMiddleware (a BaseHTTPMiddleware) to our app; the surface answers every
    preflight before it (see `test_preflight_answers_listed_origins_only`), so the app drops it."""
    from langgraph_api.middleware.private_network import PrivateNetworkMiddleware
    from starlette.middleware.cors import CORSMiddleware

    from fractalops.server.app import app

    saved = list(app.user_middleware)
    try:
        app.user_middleware = [Middleware(PrivateNetworkMiddleware), Middleware(CORSMiddleware, allow_origins=["*"]),
                               *saved]
        assert [m.cls for m in app.user_middleware] == [CORSMiddleware, *(m.cls for m in saved)]
    finally:
        app.user_middleware = saved
    assert [m.cls for m in saved] == [ServerSurface]
