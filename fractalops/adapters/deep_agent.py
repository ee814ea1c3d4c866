"""`run_deep_agent`: forge on a chat model — a Deep Agent working in the run's isolated worktree, judged by its diff.

The agent is `deepagents.create_deep_agent` with `FilesystemBackend(root_dir=<worktree>, virtual_mode=True)`: the
model uses Deep Agents' own file tools under their own names and arguments (`ls`, `read_file`, `write_file`,
`edit_file`, `glob`, `grep`), with virtual paths (`/src/app.py` is `<worktree>/src/app.py`); `..`, `~` and anything
resolving outside the worktree (symlinks included) are refused by the backend. There is no shell. Extra tools (the
asset's `tools:` entries, from `adapters.model_tools`) are added beside them.

Like a CLI agent's, the work is the worktree's diff (secret values scrubbed from the changed files first, then the
diff redacted); the target repo is never written. The loop runs synchronously in the calling thread (the squad's
nodes are sync, so `langgraph dev`'s blocking-call detector never sees its file I/O), and the agent is compiled with
`checkpointer=False`: built inside a node it would otherwise inherit the server's checkpointer. Invoked inside a
graph node it inherits the node's callbacks, so a client streaming `messages-tuple` with subgraphs sees the forge
conversation (each model message whole and redacted, each tool result redacted) as it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain.agents.middleware import AgentMiddleware, hook_config
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from fractalops.adapters.chat_model import GovernedChatModel, RunBudget, message_text, open_chat_model
from fractalops.adapters.protocol import AdapterTask
from fractalops.adapters.run import redacted_diff
from fractalops.adapters.workspace import isolated_workspace
from fractalops.armory.secrets.redact import Redactor
from fractalops.errors import ModelRunError

__all__ = ["ModelRun", "FORGE_PROMPT", "run_deep_agent", "forge_agent"]

FORGE_PROMPT = (
    "You are forge, the builder of a governed squad. The repository to change is your filesystem: `/` is its root "
    "(e.g. `/src/app.py`). Use the file tools to read what you need and to write or edit files; there is no shell "
    "and nothing outside the repository. Nothing you write is applied until a human approves the diff, so make the "
    "complete change the task asks for, keep it small, and finish with one short paragraph saying what you changed."
)
"""The system prompt of forge's Deep Agent."""

EventCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class ModelRun:
    """The redacted outcome of one model-backed build."""

    asset_id: str
    """The chat-model asset that ran."""
    base_commit: str
    """The commit the worktree was checked out at; the diff applies onto it."""
    diff: str
    """Redacted unified diff of everything the agent changed; '' when nothing changed."""
    changed_files: list[str]
    """Repo-relative paths the diff touches."""
    final_message: str
    """The agent's last text (redacted)."""
    usage: dict[str, Any] = field(default_factory=dict)
    """`steps` (model calls), `output_tokens` (provider-reported), `elapsed_s`."""


class _Guard(AgentMiddleware):
    """Every tool result passes the redactor, no tool runs once the run's clock is spent, and a tool call whose
    arguments are not JSON is answered with an error the model can act on (instead of silently ending the loop)."""

    def __init__(self, redactor: Redactor, budget: RunBudget, on_event: EventCallback | None) -> None:
        super().__init__()
        self.redactor, self.budget, self.on_event = redactor, budget, on_event

    def wrap_tool_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        self.budget.check_clock()
        call = request.tool_call
        try:
            result = handler(request)
        except (ValueError, OSError) as exc:  # the backend refusing a path (outside the root, a symlink loop, ...)
            result = ToolMessage(content=f"Error: {exc}", tool_call_id=call.get("id") or "",
                                 name=call.get("name") or "", status="error")
        if isinstance(result, ToolMessage):
            result = result.model_copy(update={"content": self.redactor.redact_obj(result.content)})
        if self.on_event is not None:
            status = getattr(result, "status", "success")
            self.on_event({"type": "tool_call", "tool": call.get("name", ""), "status": status,
                           "text": f"{call.get('name', '')}: {status}"})
        return result

    @hook_config(can_jump_to=["model"])
    def after_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        last = (state.get("messages") or [None])[-1]
        if not isinstance(last, AIMessage) or last.tool_calls or not last.invalid_tool_calls:
            return None
        answers = [ToolMessage(content=f"Error: the arguments of this {call.get('name') or 'tool'} call are not a "
                                       f"valid JSON object ({call.get('error') or 'unparsable'}); call it again with "
                                       "a JSON object of its arguments.",
                               tool_call_id=call.get("id") or "", name=call.get("name") or "", status="error")
                   for call in last.invalid_tool_calls]
        if self.on_event is not None:
            self.on_event({"type": "tool_call", "tool": answers[0].name, "status": "malformed",
                           "text": f"{len(answers)} malformed tool call(s) answered with an error"})
        return {"messages": answers, "jump_to": "model"}


def forge_agent(model: GovernedChatModel, root: Path, tools: Sequence[Any] = (),
                middleware: Sequence[AgentMiddleware] = ()) -> Any:
    """The compiled Deep Agent (no checkpointer) rooted at `root` as virtual paths."""
    from deepagents import create_deep_agent
    from deepagents.backends import FilesystemBackend

    return create_deep_agent(model=model, tools=list(tools), system_prompt=FORGE_PROMPT, middleware=list(middleware),
                             backend=FilesystemBackend(root_dir=str(root), virtual_mode=True), checkpointer=False,
                             name="forge")


def _final_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, AIMessage) and (text := message_text(message).strip()):
            return text
    return ""


def run_deep_agent(
    asset: Any,
    task: AdapterTask,
    target_repo: Path,
    *,
    secrets_backend: Any = None,
    tools: Sequence[Any] | Callable[[], Sequence[Any]] = (),
    on_event: EventCallback | None = None,
    base: str | None = None,
    stream: bool = True,
) -> ModelRun:
    """Run forge's Deep Agent for `asset` (a `chat_model` RuntimeAsset) on `task` against `target_repo`.

    `tools` are extra LangChain tools (or a function returning them, called once the key has resolved).
    Raises `AccessBlockedError` (key missing or refused), `ModelRunError` (budget, timeout, model failure; nothing
    of the run is kept), `ConfigError` (bad asset or target). The target's working tree and HEAD are never touched.
    """
    budget = RunBudget.for_asset(asset)
    model = open_chat_model(asset, secrets_backend=secrets_backend, budget=budget, stream=stream)
    extra = list(tools() if callable(tools) else tools)

    def emit(event: dict[str, Any]) -> None:
        if on_event is not None:
            on_event(model.redactor.redact_obj(dict(event, asset_id=asset.asset_id)))

    with isolated_workspace(target_repo, mode=asset.workdir, base=base) as ws:
        agent = forge_agent(model, ws.path, extra, [_Guard(model.redactor, budget, on_event and emit)])
        emit({"type": "adapter_started", "text": f"{asset.asset_id} ({asset.model}) started", "kind": asset.kind,
              "base_commit": ws.base_commit, "thread_id": task.thread_id, "agent": task.agent})
        prompt = task.prompt or task.intent
        budget.start()
        try:
            # Each model call is at least two graph steps (model, tools); the budget, not this limit, ends a run.
            result = agent.invoke({"messages": [HumanMessage(content=prompt)]},
                                  {"recursion_limit": 4 * asset.max_steps + 20})
        except ModelRunError:
            raise
        except Exception as exc:
            if type(exc).__name__ == "GraphRecursionError":
                raise ModelRunError(f"the run took more than {asset.max_steps} model steps", reason="budget") from None
            raise
        diff, files = redacted_diff(ws, model.redactor)
        base_commit = ws.base_commit
    final = _final_text(result.get("messages") or [])
    emit({"type": "adapter_finished", "text": f"{asset.asset_id} finished: {len(files)} file(s) changed",
          "changed_files": len(files), **budget.usage()})
    return ModelRun(asset_id=asset.asset_id, base_commit=base_commit, diff=diff, changed_files=files,
                    final_message=final, usage=budget.usage())
