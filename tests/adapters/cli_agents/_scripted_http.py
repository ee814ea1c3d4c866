"""A real HTTP server on 127.0.0.1 in a thread that records every request, for scripted model servers."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["RecordedRequest", "ScriptedServer", "ScriptedHandler"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the scripted server received."""

    method: str
    """HTTP method."""
    path: str
    """Request path including the query string."""
    headers: dict[str, str]
    """Request headers, names lower-cased."""
    body: Any
    """The decoded JSON body, the raw text when it is not JSON, or None when empty."""


@dataclass
class ScriptedServer:
    """Owns the server thread; subclasses of `ScriptedHandler` decide the answers."""

    handler: type[BaseHTTPRequestHandler]
    expected_key: str
    requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def posts(self, path_prefix: str) -> list[RecordedRequest]:
        """The recorded POST requests whose path starts with `path_prefix`."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.startswith(path_prefix)]

    def start(self) -> ScriptedServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        httpd.daemon_threads = True
        httpd.scripted = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class ScriptedHandler(BaseHTTPRequestHandler):
    """Reads and records the request; subclasses implement `answer`."""

    protocol_version = "HTTP/1.1"

    @property
    def scripted(self) -> ScriptedServer:
        return self.server.scripted  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # keep pytest output clean; requests are recorded instead

    def _read(self) -> RecordedRequest:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            text = raw.decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.scripted.record(request)
        return request

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self._read()
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self.answer(self._read())

    def do_POST(self) -> None:  # noqa: N802
        self.answer(self._read())

    def answer(self, request: RecordedRequest) -> None:
        raise NotImplementedError

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_sse(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Send a complete SSE stream (`event:` + `data:` per event) and close the connection."""
        chunks = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]
        body = "".join(chunks).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
