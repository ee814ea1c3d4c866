from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fractalops.errors import CatalogError
from fractalops.planes.catalog import GMS_URL_ENV, build_mcps, emit_to_gms
from fractalops.planes.steward import run_steward, scan_project, write_sample_project


class _Recorder(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"value": "ok"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gms() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"requests": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_emit_posts_ingest_proposals(gms: tuple[str, type[_Recorder]], tmp_path: Path) -> None:
    url, handler = gms
    mcps = build_mcps(scan_project(write_sample_project(tmp_path / "p", datasets=4)))
    assert emit_to_gms(mcps, url, token="tok-123") == len(mcps)
    assert len(handler.requests) == len(mcps)
    first = handler.requests[0]
    assert first["path"] == "/aspects?action=ingestProposal"
    assert first["headers"]["X-RestLi-Protocol-Version"] == "2.0.0"
    assert first["headers"]["Authorization"] == "Bearer tok-123"
    proposal = first["body"]["proposal"]
    assert proposal["entityUrn"] == mcps[0]["entityUrn"] and proposal["aspectName"] == mcps[0]["aspectName"]
    assert proposal["aspect"]["contentType"] == "application/json"
    assert json.loads(proposal["aspect"]["value"]) == mcps[0]["aspect"]["json"]


def test_gms_refusal_is_a_catalog_error(gms: tuple[str, type[_Recorder]], tmp_path: Path) -> None:
    url, handler = gms
    handler.status = 500
    mcps = build_mcps(scan_project(write_sample_project(tmp_path / "p", datasets=4)))
    with pytest.raises(CatalogError, match="HTTP 500"):
        emit_to_gms(mcps, url)
    assert len(handler.requests) == 1


def test_unreachable_gms_is_a_catalog_error(tmp_path: Path) -> None:
    mcps = build_mcps(scan_project(write_sample_project(tmp_path / "p", datasets=4)))
    with pytest.raises(CatalogError, match="unreachable"):
        emit_to_gms(mcps, "http://127.0.0.1:9", timeout=2)


def test_run_steward_emits_when_gms_url_is_set(gms: tuple[str, type[_Recorder]], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = gms
    monkeypatch.setenv(GMS_URL_ENV, url)
    result = run_steward(write_sample_project(tmp_path / "p", datasets=4), tmp_path / "data")
    assert result.gms_emitted == result.mcps == len(handler.requests) > 0
