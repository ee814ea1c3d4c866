"""A live connection to one `mcp_server` asset, callable from any thread, contained by the asset's timeout.

Sessions run on one background asyncio loop of this process (`McpSession` hands work to it), so a synchronous agent
loop, an async one and relay all use them the same way, and a stdio server is started once per session, not once per
call. What the server gets and what comes back:

- stdio: `command` (`{python}` is this interpreter) in a new process group, with a scrubbed environment (the host
  variables named in `env_allow`, `env`, and the asset's `secrets` resolved here, at the boundary); its stderr goes to
  a private file whose redacted tail is quoted when the server fails;
- streamable_http: `url`, with an HTTP timeout equal to the asset's;
- every request (initialize, list, call) is bounded by `timeout_s`. A server that crashes, hangs or stops answering
  fails the request with `McpServerError` (`.outcome_unknown` says whether a call may have reached it) and the session
  is torn down (a stdio server's process group is terminated); the next request connects again.

The session also quacks like an `mcp.ClientSession` for what `langchain-mcp-adapters` calls (`list_tools`,
`call_tool`), so the adapters' tools run through it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Any, TypeVar

from mcp import ClientSession, StdioServerParameters
from mcp import types as mcp_types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
from mcp.shared.exceptions import McpError

from fractalops.adapters.run import scrubbed_env
from fractalops.armory.secrets.redact import Redactor
from fractalops.errors import AdapterError, McpServerError

__all__ = ["McpEndpoint", "McpSession", "run_on_mcp_loop"]

T = TypeVar("T")
_GRACE_S = 5.0
"""How much longer than the asset's timeout a caller waits for the loop before giving up on it (a guard, not a limit:
every request carries its own timeout)."""
_TIMEOUT_CODE = 408  # what the mcp SDK answers when a request's read timeout expires
_STDERR_TAIL = 600


@dataclass(frozen=True)
class McpEndpoint:
    """How to reach one `mcp_server` asset, secrets already resolved (never shown by `repr`)."""

    asset_id: str
    """The asset this endpoint belongs to (named in every error)."""
    transport: str
    """`stdio` or `streamable_http`."""
    timeout_s: float
    """Limit for connecting and for each request."""
    argv: tuple[str, ...] = ()
    """stdio: the command to start."""
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    """stdio: the server's whole environment (scrubbed host vars, `env`, resolved secrets)."""
    url: str = ""
    """streamable_http: the endpoint."""
    redactor: Redactor = field(default_factory=Redactor, repr=False)
    """Redacts the asset's secret values from whatever the server sends back."""

    @classmethod
    def for_asset(cls, asset: Any, secrets_backend: Any = None) -> McpEndpoint:
        """The endpoint of an `mcp_server` RuntimeAsset; its secrets are resolved here (missing → `AccessBlockedError`)."""
        if asset.kind != "mcp_server":
            raise AdapterError(f"asset {asset.asset_id!r} is a {asset.kind} asset, not an mcp_server")
        secret_env: dict[str, str] = {}
        if asset.secrets:
            from fractalops.armory.secrets import open_secret_backend, resolve_asset_secrets

            backend = secrets_backend if secrets_backend is not None else open_secret_backend()
            secret_env = dict(resolve_asset_secrets(asset, backend))
        argv = tuple(sys.executable if part == "{python}" else part for part in asset.command)
        return cls(asset_id=asset.asset_id, transport=asset.transport or "", timeout_s=asset.timeout_s, argv=argv,
                   env=scrubbed_env(asset, secret_env), url=asset.url, redactor=Redactor(secret_env))


def _serve_loop(loop: asyncio.AbstractEventLoop) -> None:
    # Blocking here (spawning a stdio server, its stderr file) stalls only this private thread, never the server's
    # own loop; `langgraph dev`'s detector (blockbuster) cannot tell the two apart, so it is told to skip this thread.
    try:
        from blockbuster.blockbuster import _skip
    except ImportError:
        pass
    else:
        _skip.value = True
    asyncio.set_event_loop(loop)
    loop.run_forever()


class _Loop:
    """The one background event loop every MCP session of this process runs on (a daemon thread, started lazily)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=_serve_loop, args=(loop,), name="fractalops-mcp", daemon=True).start()
                self._loop = loop
            return self._loop


_LOOP = _Loop()


def run_on_mcp_loop(coro: Coroutine[Any, Any, T], wait_s: float) -> T:
    """Run `coro` on the MCP loop and wait for it from this (non-loop) thread, at most `wait_s` seconds."""
    loop = _LOOP.get()
    if _running_loop() is loop:
        coro.close()
        raise AdapterError("an MCP session was called synchronously from its own event loop; await it instead")
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result(wait_s)
    except TimeoutError:
        future.cancel()
        raise


async def _await_on_mcp_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on the MCP loop and await it from another loop (or from the MCP loop itself)."""
    loop = _LOOP.get()
    if _running_loop() is loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class McpSession:
    """One connection to an MCP server; connects on first use and again after a failure. Close it when done.

    Sync methods (`tools`, `call`) may be called from any thread but the MCP loop; `acall`/`alist` from any loop.
    """

    def __init__(self, endpoint: McpEndpoint) -> None:
        self.endpoint = endpoint
        self._session: ClientSession | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._connecting: asyncio.Lock | None = None
        self._stderr: IO[bytes] | None = None
        self.server_info: mcp_types.Implementation | None = None
        """What the server said it is, once connected."""

    def __enter__(self) -> McpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _wait_s(self) -> float:
        return self.endpoint.timeout_s + _GRACE_S

    # -- the loop side ------------------------------------------------------------------------------------------

    def _transport(self) -> Any:
        ep = self.endpoint
        if ep.transport == "stdio":
            if self._stderr is None:
                self._stderr = tempfile.TemporaryFile(prefix="fractalops-mcp-stderr-")
            self._stderr.seek(0)
            self._stderr.truncate()  # the tail quoted on failure is this process's
            params = StdioServerParameters(command=ep.argv[0], args=list(ep.argv[1:]), env=dict(ep.env))
            return stdio_client(params, errlog=self._stderr)
        if ep.transport == "streamable_http":
            import httpx

            client = create_mcp_http_client(timeout=httpx.Timeout(ep.timeout_s))
            return _http(ep.url, client)
        raise AdapterError(f"asset {ep.asset_id!r}: unknown MCP transport {ep.transport!r}; use stdio or streamable_http")

    async def _serve(self, ready: asyncio.Future[None], stop: asyncio.Event) -> None:
        try:
            async with self._transport() as streams:
                read, write = streams[0], streams[1]
                async with ClientSession(read, write, read_timeout_seconds=timedelta(seconds=self.endpoint.timeout_s)) \
                        as session:
                    init = await session.initialize()
                    self.server_info = init.serverInfo
                    self._session = session
                    ready.set_result(None)
                    await stop.wait()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the connection
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else AdapterError(repr(exc)))
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._session = None

    async def _connect(self) -> ClientSession:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._session is not None:
                return self._session
            ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # read even when given up on
            self._stop = asyncio.Event()
            self._task = asyncio.ensure_future(self._serve(ready, self._stop))
            try:
                async with asyncio.timeout(self.endpoint.timeout_s):
                    await asyncio.shield(ready)
            except TimeoutError:
                await self._teardown()
                raise self._failure(f"did not finish connecting within {self.endpoint.timeout_s:g}s") from None
            except Exception as exc:  # noqa: BLE001 - spawn, transport or initialize failure
                await self._teardown()
                raise self._failure(f"could not be connected: {_describe(exc)}") from None
            assert self._session is not None
            return self._session

    async def _teardown(self) -> None:
        """Stop the session; a stdio server is told to exit, then its process group is terminated."""
        task, self._task = self._task, None
        if self._stop is not None:
            self._stop.set()
        if task is None:
            return
        try:
            async with asyncio.timeout(_GRACE_S):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except BaseException:  # noqa: BLE001 - the session's own failure was already reported
            pass

    async def _request(self, what: str, call: Any, *, is_call: bool) -> Any:
        session = await self._connect()
        try:
            async with asyncio.timeout(self.endpoint.timeout_s + 1):  # beyond the SDK's own read timeout: a stuck send
                return await call(session)
        except Exception as exc:  # noqa: BLE001 - a timeout, a lost connection, or an answer that is not one
            if isinstance(exc, McpError) and exc.error.code not in (_TIMEOUT_CODE, mcp_types.CONNECTION_CLOSED):
                raise  # the server answered with an error: the session is fine
            await self._teardown()
            timed_out = isinstance(exc, TimeoutError) or (isinstance(exc, McpError) and exc.error.code == _TIMEOUT_CODE)
            why = (f"gave no answer to {what} within {self.endpoint.timeout_s:g}s" if timed_out
                   else f"failed during {what}: {_describe(exc)}")
            raise self._failure(why, outcome_unknown=is_call) from None

    def _failure(self, why: str, *, outcome_unknown: bool = False) -> McpServerError:
        tail = ""
        if self._stderr is not None:
            try:
                self._stderr.seek(0)
                data = " ".join(self._stderr.read()[-_STDERR_TAIL:].decode("utf-8", "replace").split())
            except (OSError, ValueError):
                data = ""
            tail = f"; its stderr ends: {data}" if data else ""
        stopped = " (the server was stopped; the next call starts it again)" if self.endpoint.transport == "stdio" else ""
        message = self.endpoint.redactor.redact(f"MCP server {self.endpoint.asset_id!r} {why}{stopped}{tail}")
        return McpServerError(message, asset_id=self.endpoint.asset_id, outcome_unknown=outcome_unknown)

    # -- the `ClientSession` surface langchain-mcp-adapters uses (on the MCP loop) ------------------------------

    async def list_tools(self, cursor: str | None = None, **_: Any) -> mcp_types.ListToolsResult:
        return await self._request("tools/list", lambda s: s.list_tools(cursor=cursor), is_call=False)

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, read_timeout_seconds: Any = None,
                        progress_callback: Any = None, **_: Any) -> mcp_types.CallToolResult:
        return await self._request(f"a call of {name!r}", lambda s: s.call_tool(name, arguments), is_call=True)

    async def connect(self) -> None:
        """Connect now (otherwise the first request does)."""
        await self._connect()

    async def aclose(self) -> None:
        await self._teardown()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    # -- from any thread ----------------------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one coroutine of this session on the MCP loop, from a thread that is not that loop."""
        try:
            return run_on_mcp_loop(coro, self._wait_s + self.endpoint.timeout_s)
        except TimeoutError:
            raise self._failure("did not answer and could not be stopped in time", outcome_unknown=True) from None

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """The same as `run`, awaited from any event loop."""
        return await _await_on_mcp_loop(coro)

    def call(self, name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        """Call one tool and return the server's result (`isError` results included)."""
        return self.run(self.call_tool(name, arguments))

    def close(self) -> None:
        """Disconnect (a stdio server exits, or is terminated). Safe to call twice."""
        if self._task is None and self._stderr is None:
            return
        if _running_loop() is _LOOP.get():
            raise AdapterError("close an MCP session with `await session.aclose()` on its own loop")
        run_on_mcp_loop(self.aclose(), 2 * _GRACE_S + self.endpoint.timeout_s)


def _http(url: str, client: Any) -> Any:
    """An async context manager: the http client and the streamable HTTP transport over it, closed together."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def transport() -> Any:
        async with client, streamable_http_client(url, http_client=client) as streams:
            yield streams

    return transport()


def _describe(exc: BaseException) -> str:
    """One line for an exception, unwrapping the exception groups anyio raises."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if not text.startswith(type(exc).__name__) else text
