"""Private: what every command uses to talk to the server, and to print and fail in the one shape.

LangGraph's own resources (threads, runs, state) go through `langgraph-sdk` (`sdk()`); the server's own routes
(`/projection`, `/proposals`, `/armory`, ...) through `server()`, a small httpx client, so that commands that need
only those do not pay for importing the SDK. Both raise httpx errors, which `call` turns into one-line errors that
name the server, where its address and the key came from, and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from fractalops.cli._config import Found, api_key, key_places, server_url, url_places
from fractalops.cli._errors import CliError, fail
from fractalops.cli._output import JsonFlag, emit_json

if TYPE_CHECKING:
    import httpx
    from langgraph_sdk.client import SyncLangGraphClient

__all__ = ["ASSISTANT", "ENTERED", "JsonFlag", "emit_json", "fail", "call", "sdk", "server", "Server", "CliError", "Found"]

ASSISTANT = "squad"
_T = TypeVar("_T")
_TIMEOUT_S = 300.0


_PASSED_THROUGH = ("refused",)
"""Fields of an error answer the CLI's own error document keeps (e.g. the SQL construct a warehouse query refused)."""


def _detail(response: httpx.Response) -> tuple[str, str | None, dict[str, Any]]:
    """The answer's message, the error kind our routes name (`{"error": ..., "error_type": ...}`), and extra fields."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase, None, {}
    if isinstance(body, dict):
        kind = body.get("error_type")
        extra = {k: body[k] for k in _PASSED_THROUGH if k in body}
        return str(body.get("error") or body.get("detail") or body.get("message") or body)[:2000], (
            kind if isinstance(kind, str) and kind else None), extra
    return str(body)[:500], None, {}


ENTERED = "the key you entered"
"""The source of a key typed or piped into `fractalops login` (it is not looked up anywhere)."""


def _http_error(exc: httpx.HTTPStatusError, url: Found, key: Found) -> CliError:
    status, (detail, kind, extra) = exc.response.status_code, _detail(exc.response)
    if kind is not None and status < 500:  # a domain error (bad ref, unmapped term, ...): its own words
        return CliError(detail, error_type=kind, status=status, **extra)
    if status == 401:
        where = "" if key.source == ENTERED else (
            f"; the CLI looks at {', '.join(key_places(url.value))}; store a working key with "
            f"`fractalops login {url.value}`")
        which = ENTERED if key.source == ENTERED else f"the API key from {key.source}"
        return CliError(f"the server at {url.value} refused {which}: {detail}{where}", error_type="Unauthorized",
                        status=status)
    if status == 403:
        return CliError(f"refused by the server at {url.value}: {detail}", error_type="Forbidden", status=status)
    if status == 404:
        return CliError(f"not found on the server at {url.value}: {detail}", error_type="NotFound", status=status)
    return CliError(f"the server at {url.value} answered {status}: {detail}", error_type=kind or "HTTPStatusError",
                    status=status)


def _guarded(fn: Callable[[], _T], url: Found, key: Found | None = None) -> _T:
    import httpx

    try:
        return fn()
    except httpx.HTTPStatusError as exc:
        raise _http_error(exc, url, key or _current_key(url)) from None
    except httpx.TimeoutException:
        raise CliError(f"the server at {url.value} did not answer in time", error_type="Timeout") from None
    except httpx.TransportError as exc:
        raise CliError(f"no LangGraph server at {url.value} (from {url.source}; the CLI looks at {url_places()}): "
                       f"{str(exc) or type(exc).__name__}; start one with `make dev` or `fractalops serve`, or name "
                       "yours with --url or `fractalops login URL`", error_type="ServerUnreachable") from None


def call(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run one SDK call; turn transport and HTTP errors into a `CliError` that says what to do."""
    return _guarded(lambda: fn(*args, **kwargs), server_url())


def _current_key(url: Found) -> Found:
    try:
        return api_key(url.value)
    except CliError:
        return Found("", "nowhere")


class Server:
    """The server's own routes over HTTP, with the CLI's key; every method returns the decoded JSON body."""

    def __init__(self, url: Found, key: Found) -> None:
        import httpx

        self.url, self.key = url, key
        self._http = httpx.Client(base_url=url.value, headers={"x-api-key": key.value}, timeout=_TIMEOUT_S)

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        def send() -> Any:
            response = self._http.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json() if response.content else None

        return _guarded(send, self.url, self.key)

    def get(self, path: str, **params: Any) -> Any:
        return self._send("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("POST", path, json=body)

    def put(self, path: str, body: Any = None) -> Any:
        return self._send("PUT", path, json=body)

    def delete(self, path: str, **params: Any) -> Any:
        return self._send("DELETE", path, params=params)


@lru_cache(maxsize=4)
def _server(url: Found, key: Found) -> Server:
    return Server(url, key)


def server() -> Server:
    """The server's own routes (one client per server and key: an httpx client costs a TLS context to build)."""
    url = server_url()
    return _server(url, api_key(url.value))


@lru_cache(maxsize=4)
def _sdk(url: str, key: str) -> SyncLangGraphClient:
    from langgraph_sdk import get_sync_client

    return get_sync_client(url=url, api_key=key)


def sdk() -> SyncLangGraphClient:
    """The `langgraph-sdk` client for this server (imported on first use: the SDK takes ~0.4 s to import)."""
    url = server_url()
    return _sdk(url.value, api_key(url.value).value)
