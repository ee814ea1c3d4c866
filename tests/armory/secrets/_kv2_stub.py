"""A tiny in-process HTTP server speaking the subset of the OpenBao/Vault API the OpenBao backend uses.

OpenBao cannot be installed here, so this stub (127.0.0.1 only) checks our `hvac` calls at the wire level:
token auth via `X-Vault-Token`, AppRole login, KV v2 read / write / LIST metadata / delete metadata. It is
not a substitute for the real-server run (`FRACTALOPS_OPENBAO_ADDR`), which the contract test also supports.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class KV2Stub:
    def __init__(self, token: str, role_id: str, secret_id: str, mounts: tuple[str, ...] = ("kv",)) -> None:
        self.token, self.role_id, self.secret_id = token, role_id, secret_id
        self.mounts = mounts
        self.store: dict[tuple[str, str], dict[str, Any]] = {}
        self.versions: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()


def _handler(stub: KV2Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def _route(self) -> tuple[str, str, str] | None:
            path = self.path.split("?", 1)[0]
            parts = path.strip("/").split("/")
            if len(parts) >= 3 and parts[0] == "v1" and parts[1] in stub.mounts and parts[2] in ("data", "metadata"):
                return parts[1], parts[2], "/".join(parts[3:])
            return None

        def _authorized(self) -> bool:
            if self.headers.get("X-Vault-Token") != stub.token:
                self._send(403, {"errors": ["permission denied"]})
                return False
            return True

        def do_GET(self) -> None:
            if self.path.startswith("/v1/auth/token/lookup-self"):
                if self._authorized():
                    self._send(200, {"data": {"id": "redacted", "policies": ["default"]}})
                return
            route = self._route()
            if route is None or route[1] != "data":
                return self._send(404, {"errors": []})
            if not self._authorized():
                return
            with stub.lock:
                fields = stub.store.get((route[0], route[2]))
                version = stub.versions.get((route[0], route[2]), 0)
            if fields is None:
                return self._send(404, {"errors": []})
            meta = {"version": version, "deletion_time": "", "destroyed": False, "created_time": "2026-01-01T00:00:00Z"}
            self._send(200, {"data": {"data": fields, "metadata": meta}})

        def do_POST(self) -> None:
            if self.path.startswith("/v1/auth/approle/login"):
                body = self._body()
                if body.get("role_id") == stub.role_id and body.get("secret_id") == stub.secret_id:
                    return self._send(200, {"auth": {"client_token": stub.token, "policies": ["default"]}})
                return self._send(400, {"errors": ["invalid role or secret ID"]})
            route = self._route()
            if route is None or route[1] != "data":
                return self._send(404, {"errors": []})
            if not self._authorized():
                return
            data = self._body().get("data")
            with stub.lock:
                stub.store[(route[0], route[2])] = dict(data)
                stub.versions[(route[0], route[2])] = stub.versions.get((route[0], route[2]), 0) + 1
                version = stub.versions[(route[0], route[2])]
            self._send(200, {"data": {"version": version, "deletion_time": "", "destroyed": False}})

        def do_LIST(self) -> None:
            route = self._route()
            if route is None or route[1] != "metadata":
                return self._send(404, {"errors": []})
            if not self._authorized():
                return
            prefix = route[2].rstrip("/") + "/" if route[2].strip("/") else ""
            keys: set[str] = set()
            with stub.lock:
                for mount, path in stub.store:
                    if mount == route[0] and path.startswith(prefix):
                        rest = path[len(prefix):]
                        keys.add(rest.split("/", 1)[0] + "/" if "/" in rest else rest)
            if not keys:
                return self._send(404, {"errors": []})
            self._send(200, {"data": {"keys": sorted(keys)}})

        def do_DELETE(self) -> None:
            route = self._route()
            if route is None or route[1] != "metadata":
                return self._send(404, {"errors": []})
            if not self._authorized():
                return
            with stub.lock:
                stub.store.pop((route[0], route[2]), None)
                stub.versions.pop((route[0], route[2]), None)
            self._send(204)

    return Handler


@contextmanager
def running_kv2_stub(token: str = "s.stub-root-token", role_id: str = "role-1",
                     secret_id: str = "secret-1") -> Iterator[tuple[str, KV2Stub]]:
    stub = KV2Stub(token, role_id, secret_id)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
