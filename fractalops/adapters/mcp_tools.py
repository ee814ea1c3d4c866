"""The MCP tools a model-backed agent gets: one `McpToolbelt` per run, filled from the chat-model asset's `tools:`.

Each `mcp_server` asset added is connected once for the run (`McpSession`); its tools come from
`langchain-mcp-adapters` and are handed to the model under the name it should see (the server's own, after the
asset's `tool_prefix`), each governed by its policy (`mcp_catalog`):

- **read**: runs at once, through the adapters' tool; the result (secret values redacted) goes back to the model and
  the call is recorded as the live event `mcp_tool_call`;
- **mutate**: never reaches the server. The arguments are checked against the tool's input schema, the call becomes
  a `tool_call` proposal through `propose(...)`, the event `mcp_tool_proposed` is recorded, and the model reads
  exactly `proposed <proposal_id>: waits for approval`. With no `propose` (an agent that may not propose), mutate
  tools are not offered at all.

A server that fails, crashes or hangs gives the model an error result naming it (the loop goes on; the next call
reconnects). Tools work from a synchronous loop (`invoke`) and an async one (`ainvoke`) alike. Close the toolbelt
when the run ends (a stdio server then exits).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool, ToolException

from fractalops.adapters.mcp_catalog import McpToolSpec, check_unique, load_tools
from fractalops.adapters.mcp_session import McpEndpoint, McpSession, run_on_mcp_loop
from fractalops.errors import ConfigError, McpServerError, ProposalError
from fractalops.planes.proposals.tool_call import (
    TOOL_CALL,
    proposed_message,
    tool_call_payload,
    tool_call_target,
)

__all__ = ["Emit", "Propose", "McpToolbelt", "mcp_tool_provider"]

Emit = Callable[..., None]
"""`emit(kind, text, **data)`: one live-outbox event of the running step."""
Propose = Callable[..., str]
"""`propose(kind=, target=, payload=, title=) -> proposal_id` (e.g. a `ToolCallProposer`)."""
_CONNECT_GRACE_S = 10.0
_EVENT_ARGUMENTS_BYTES = 2_000


class McpToolbelt:
    """The MCP tools of one model run, over one session per `mcp_server` asset. A context manager."""

    def __init__(self, *, secrets_backend: Any = None, emit: Emit | None = None, propose: Propose | None = None,
                 where: str = "the Armory") -> None:
        self._secrets = secrets_backend
        self._emit = emit if emit is not None else (lambda kind, text, **data: None)
        self._propose = propose
        self._where = where
        self._lock = threading.Lock()
        self._sessions: dict[str, McpSession] = {}
        self._tools: list[BaseTool] = []
        self.specs: list[McpToolSpec] = []
        """Every tool of every added server, governed (withheld mutate tools included)."""
        self.proposed: list[str] = []
        """Ids of the `tool_call` proposals made through this toolbelt, in call order."""

    def __enter__(self) -> McpToolbelt:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def tools(self) -> list[BaseTool]:
        """The tools offered so far, in the order their servers were added."""
        return list(self._tools)

    def add_all(self, servers: Sequence[Any]) -> list[BaseTool]:
        """Connect every server (concurrently), check their names are unique, and return all their tools."""
        fresh = [a for a in servers if a.asset_id not in self._sessions]
        sessions = [McpSession(McpEndpoint.for_asset(a, self._secrets)) for a in fresh]
        wait = max([a.timeout_s for a in fresh] or [0.0]) + _CONNECT_GRACE_S

        async def load_all() -> list[Any]:
            return list(await asyncio.gather(*(load_tools(s, a, self._where) for s, a in zip(sessions, fresh, strict=True)),
                                             return_exceptions=True))

        loaded = run_on_mcp_loop(load_all(), wait) if fresh else []
        failed = next((r for r in loaded if isinstance(r, BaseException)), None)
        try:
            if failed is not None:
                raise failed
            with self._lock:
                check_unique([*self.specs, *(spec for _tools, specs in loaded for spec in specs)])
                for asset, session, (tools, specs) in zip(fresh, sessions, loaded, strict=True):
                    self._sessions[asset.asset_id] = session
                    self._install(asset, session, tools, specs)
        except BaseException:
            for session in sessions:
                session.close()
            raise
        return self.tools

    def add(self, asset: Any) -> list[BaseTool]:
        """Connect one server and return the tools it adds (an `mcp_server` already added adds nothing)."""
        before = len(self._tools)
        self.add_all([asset])
        return self._tools[before:]

    def _install(self, asset: Any, session: McpSession, tools: list[Any], specs: list[McpToolSpec]) -> None:
        withheld = []
        for tool, spec in zip(tools, specs, strict=True):
            self.specs.append(spec)
            if spec.policy == "mutate" and self._propose is None:
                withheld.append(spec.name)
                continue
            self._tools.append(self._governed(session, spec, tool))
        if withheld:
            self._emit("mcp_tools_withheld", f"{asset.asset_id}: mutate tool(s) {', '.join(withheld)} not offered "
                       "(this agent may not propose)", asset_id=asset.asset_id, tools=withheld)

    def _governed(self, session: McpSession, spec: McpToolSpec, tool: Any) -> StructuredTool:
        if spec.policy == "read":
            def run_sync(runtime: Annotated[Any, InjectedToolArg()] = None, **arguments: Any) -> Any:
                return self._read(spec, session, tool, arguments)

            async def run_async(runtime: Annotated[Any, InjectedToolArg()] = None, **arguments: Any) -> Any:
                return await self._aread(spec, session, tool, arguments)
        else:
            def run_sync(runtime: Annotated[Any, InjectedToolArg()] = None, **arguments: Any) -> Any:
                return self._propose_call(spec, arguments)

            async def run_async(runtime: Annotated[Any, InjectedToolArg()] = None, **arguments: Any) -> Any:
                return await asyncio.to_thread(self._propose_call, spec, arguments)  # proposals are disk writes
        redactor = session.endpoint.redactor
        return StructuredTool(
            name=spec.exposed_name, description=tool.description or "", args_schema=tool.args_schema, func=run_sync,
            coroutine=run_async, response_format="content_and_artifact",
            metadata={**(tool.metadata or {}), "fractalops": {"asset_id": spec.asset_id, "mcp_tool": spec.name,
                                                              "policy": spec.policy, "policy_source": spec.source}},
            handle_tool_error=lambda exc: redactor.redact(str(exc)),
        )

    # -- read: run now ----------------------------------------------------------------------------------------

    def _read(self, spec: McpToolSpec, session: McpSession, tool: Any, arguments: dict[str, Any]) -> Any:
        started = time.monotonic()
        try:
            result = session.run(tool.coroutine(**arguments))
        except (ToolException, McpServerError) as exc:
            raise self._read_failed(spec, session, arguments, started, exc) from None
        return self._read_done(spec, session, arguments, started, result)

    async def _aread(self, spec: McpToolSpec, session: McpSession, tool: Any, arguments: dict[str, Any]) -> Any:
        started = time.monotonic()
        try:
            result = await session.arun(tool.coroutine(**arguments))
        except (ToolException, McpServerError) as exc:
            raise self._read_failed(spec, session, arguments, started, exc) from None
        return self._read_done(spec, session, arguments, started, result)

    def _read_done(self, spec: McpToolSpec, session: McpSession, arguments: dict[str, Any], started: float,
                   result: tuple[Any, Any]) -> tuple[Any, Any]:
        self._record_read(spec, session, arguments, started)
        content, artifact = result
        return session.endpoint.redactor.redact_obj(content), session.endpoint.redactor.redact_obj(artifact)

    def _read_failed(self, spec: McpToolSpec, session: McpSession, arguments: dict[str, Any], started: float,
                     exc: Exception) -> ToolException:
        """The error the model reads (an `isError` answer, a crash, a timeout), recorded like any call."""
        self._record_read(spec, session, arguments, started, error=str(exc))
        return ToolException(session.endpoint.redactor.redact(str(exc)))

    def _record_read(self, spec: McpToolSpec, session: McpSession, arguments: dict[str, Any], started: float,
                     error: str = "") -> None:
        ms = round((time.monotonic() - started) * 1000, 1)
        redactor = session.endpoint.redactor
        said = f"failed: {error}" if error else f"answered in {ms} ms"
        self._emit("mcp_tool_call", redactor.redact(f"{spec.asset_id}: {spec.name} (read) {said}")[:500],
                   asset_id=spec.asset_id, tool=spec.name, policy="read", arguments=_brief(redactor.redact_obj(arguments)),
                   duration_ms=ms, error=redactor.redact(error)[:300])

    # -- mutate: propose ----------------------------------------------------------------------------------------

    def _propose_call(self, spec: McpToolSpec, arguments: dict[str, Any]) -> tuple[str, None]:
        assert self._propose is not None
        _check_schema(spec, arguments)
        try:
            payload = tool_call_payload(spec.asset_id, spec.name, arguments)
        except ProposalError as exc:
            raise ToolException(f"{exc}; nothing was proposed") from None
        proposal_id = self._propose(kind=TOOL_CALL, target=tool_call_target(spec.asset_id), payload=payload,
                                    title=f"{spec.asset_id}: {spec.name}")
        with self._lock:
            self.proposed.append(proposal_id)
        self._emit("mcp_tool_proposed", f"{spec.asset_id}: {spec.name} (mutate) proposed as {proposal_id}",
                   asset_id=spec.asset_id, tool=spec.name, policy="mutate", proposal_id=proposal_id)
        return proposed_message(proposal_id), None

    def close(self) -> None:
        """Disconnect every server (each stdio server exits). Safe to call twice."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()


def _brief(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments as a live event carries them: whole up to `_EVENT_ARGUMENTS_BYTES` of JSON, else their size."""
    size = len(json.dumps(arguments, default=str))
    return arguments if size <= _EVENT_ARGUMENTS_BYTES else {"omitted": f"{size} bytes of JSON arguments"}


def _check_schema(spec: McpToolSpec, arguments: dict[str, Any]) -> None:
    """A call the server's own input schema refuses is not proposed: the model hears why and may try again."""
    if not spec.input_schema:
        return
    import jsonschema

    try:
        validator_cls = jsonschema.validators.validator_for(spec.input_schema)
        error = jsonschema.exceptions.best_match(validator_cls(spec.input_schema).iter_errors(arguments))
    except jsonschema.exceptions.SchemaError as exc:
        raise ToolException(f"tool {spec.name!r} of {spec.asset_id!r} declares an invalid input schema "
                            f"({exc.message}); nothing was proposed") from None
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ToolException(f"arguments for {spec.exposed_name!r} do not match its input schema at {at}: "
                            f"{error.message}; nothing was proposed")


def _listing(propose: Propose, run: Any) -> Propose:
    """`propose`, also listing each id in `run.proposed` (where forge collects the batch), once."""

    def listed(**kwargs: Any) -> str:
        proposal_id = propose(**kwargs)
        proposed = getattr(run, "proposed", None)
        if isinstance(proposed, list) and proposal_id not in proposed:
            proposed.append(proposal_id)
        return proposal_id

    return listed


def mcp_tool_provider(asset: Any, run: Any) -> list[BaseTool]:
    """The tools of one `mcp_server` entry of a model asset's `tools:`, for a tool run (`adapters.model_tools`).

    `run` carries `emit`, `propose` and `proposed` (each proposal id is listed there); one toolbelt serves all of a
    run's MCP entries (so a name offered by two of them is an error naming both), closed through `run.closers` when
    the run has that list, else when the run object goes away.
    """
    belt = getattr(run, "_mcp_toolbelt", None)
    if belt is None:
        propose = getattr(run, "propose", None)
        if propose is not None and not callable(propose):
            raise ConfigError("a tool run's `propose` must be callable or None")
        belt = McpToolbelt(emit=getattr(run, "emit", None), propose=_listing(propose, run) if propose else None)
        run._mcp_toolbelt = belt
        closers = getattr(run, "closers", None)
        if isinstance(closers, list):
            closers.append(belt.close)
        else:
            weakref.finalize(run, belt.close)
    return belt.add(asset)
