"""Chat-model assets at the call boundary: a provider client built with `init_chat_model`, governed per run.

`open_chat_model(asset)` resolves the asset's `api_key` ref (missing → `AccessBlockedError`, nothing called), builds
the provider's LangChain client and wraps it in `GovernedChatModel`, which every caller (forge's Deep Agent, atlas's
plan, a pack agent's note) talks to. The wrapper is where a run's limits and the secret rule hold, whoever calls:

- every model call counts against the run's `RunBudget` (`max_steps` calls, `max_output_tokens` provider-reported
  output tokens over the whole run, `timeout_s` of wall clock): past a limit the next call raises `ModelRunError`;
- what the model says (text, tool-call arguments) passes the Armory redactor before any caller, callback or stream
  sees it, so even a model that repeats its own key cannot put it into messages, state or evidence;
- provider failures become `ModelRunError` (`timeout` / `model_error`) or, for a refused key, `AccessBlockedError`
  naming the ref, with the message redacted.

The key lives only inside the provider client object, which is never stored, streamed or serialized.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ConfigDict

from fractalops.armory.secrets.redact import Redactor
from fractalops.errors import AccessBlockedError, ConfigError, ModelRunError

__all__ = ["RunBudget", "GovernedChatModel", "open_chat_model", "structured_answer", "text_answer", "message_text"]

_RETRIES = 1
"""Retries per model call of a transient failure (5xx, 429, connection); the budget counts the call once. The provider
client's own retries are off, so every attempt gets exactly the run's remaining time."""
_RETRY_PAUSE_S = 0.5
_ANTHROPIC_MAX_TOKENS = 8192
"""Per-call output cap for Anthropic, which requires one (the run's own cap is `max_output_tokens`)."""


@dataclass
class RunBudget:
    """One run's limits and what it has spent; shared by every model call of the run (subagents included)."""

    max_steps: int
    """Model calls the run may make."""
    max_output_tokens: int
    """Provider-reported output tokens the run may spend."""
    timeout_s: float
    """Wall-clock seconds from the budget's creation."""
    steps: int = 0
    """Model calls made so far."""
    output_tokens: int = 0
    """Output tokens the provider reported so far."""
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def for_asset(cls, asset: Any) -> RunBudget:
        return cls(max_steps=asset.max_steps, max_output_tokens=asset.max_output_tokens, timeout_s=asset.timeout_s)

    def start(self) -> None:
        """Start the clock now (a run's set-up, e.g. its worktree, is not the model's time)."""
        self.started = time.monotonic()

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def remaining_s(self) -> float:
        return self.timeout_s - self.elapsed_s()

    def check_clock(self) -> None:
        """`ModelRunError("timeout")` once the run's wall clock is spent."""
        if self.remaining_s() <= 0:
            raise ModelRunError(f"the run hit its timeout of {self.timeout_s:g}s after {self.steps} model call(s); "
                                "raise `timeout_s` on the asset if the work is legitimately long", reason="timeout")

    def before_call(self) -> None:
        """Refuse a call past any limit (checked before the request, so a spent budget costs nothing more)."""
        self.check_clock()
        if self.steps >= self.max_steps:
            raise ModelRunError(f"the run used its budget of {self.max_steps} model call(s) (`max_steps`) without "
                                "finishing; raise `max_steps` on the asset or narrow the task", reason="budget")
        if self.output_tokens >= self.max_output_tokens:
            raise ModelRunError(f"the run spent {self.output_tokens} output tokens, its budget is "
                                f"{self.max_output_tokens} (`max_output_tokens`); raise it on the asset or narrow "
                                "the task", reason="budget")
        self.steps += 1

    def after_call(self, message: BaseMessage) -> None:
        usage = getattr(message, "usage_metadata", None) or {}
        self.output_tokens += int(usage.get("output_tokens") or 0)

    def usage(self) -> dict[str, Any]:
        """What the run spent, for events and the HUD (numbers only)."""
        return {"steps": self.steps, "output_tokens": self.output_tokens, "elapsed_s": round(self.elapsed_s(), 3)}


def _redacted_message(message: AIMessage, redactor: Redactor) -> AIMessage:
    if not redactor:
        return message
    update: dict[str, Any] = {"content": redactor.redact_obj(message.content)}
    if message.tool_calls:
        update["tool_calls"] = [dict(call, args=redactor.redact_obj(call["args"])) for call in message.tool_calls]
    if message.invalid_tool_calls:
        update["invalid_tool_calls"] = [redactor.redact_obj(dict(call)) for call in message.invalid_tool_calls]
    if message.additional_kwargs:
        update["additional_kwargs"] = redactor.redact_obj(message.additional_kwargs)
    return message.model_copy(update=update)


def _transient(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status == 429 or status >= 500
    return "connection" in type(exc).__name__.lower()


def _provider_failure(exc: Exception, asset_id: str, secret_refs: list[str], redactor: Redactor) -> Exception:
    text = redactor.redact(f"{type(exc).__name__}: {exc}")[:300]
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        return AccessBlockedError(f"chat model asset {asset_id!r} was refused by its endpoint ({status}): {text}",
                                  missing=secret_refs)
    if "timeout" in type(exc).__name__.lower():
        return ModelRunError(f"chat model asset {asset_id!r} did not answer in time: {text}", reason="timeout")
    return ModelRunError(f"chat model asset {asset_id!r} failed: {text}; the thread can be launched again once the "
                         "endpoint answers", reason="model_error")


class GovernedChatModel(BaseChatModel):
    """A provider chat model under one run's budget and the Armory redactor (see the module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel
    """The provider client (`init_chat_model`); holds the key, never leaves this object."""
    budget: RunBudget
    """The run's limits and spend."""
    redactor: Redactor
    """Redacts the asset's secret values from everything the model says."""
    asset_id: str
    """The Armory asset this model is (named in every error)."""
    secret_refs: list[str] = []
    """The asset's secret refs, for `AccessBlockedError.missing` when the endpoint refuses the key."""
    stream_calls: bool = True
    """Call the provider streaming (SSE) and assemble the answer; False for plain JSON calls."""

    @property
    def _llm_type(self) -> str:
        return "fractalops-governed"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"asset_id": self.asset_id}

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.budget.before_call()
        for attempt in range(1 + _RETRIES):
            try:
                result = self._call(messages, stop, kwargs)
                break
            except Exception as exc:  # noqa: BLE001 - every provider/transport failure becomes one of ours
                failure = _provider_failure(exc, self.asset_id, self.secret_refs, self.redactor)
                if attempt == _RETRIES or not _transient(exc) or self.budget.remaining_s() <= _RETRY_PAUSE_S:
                    raise failure from None
                time.sleep(_RETRY_PAUSE_S)
        generations = []
        for generation in result.generations:
            message = generation.message
            if isinstance(message, AIMessage):
                self.budget.after_call(message)
                message = _redacted_message(message, self.redactor)
            generations.append(ChatGeneration(message=message, generation_info=generation.generation_info))
        return ChatResult(generations=generations, llm_output=None)

    def _call(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> ChatResult:
        # The provider's own call (streamed over HTTP when `stream_calls`), its callbacks silent so callers and
        # streams see only the redacted message this wrapper returns; the request may take what is left of the run.
        kwargs = {**kwargs, "timeout": max(self.budget.remaining_s(), 0.05)}
        if self.stream_calls:
            return generate_from_stream(self.inner._stream(messages, stop=stop, **kwargs))
        return self.inner._generate(messages, stop=stop, **kwargs)

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
                   ) -> Runnable[LanguageModelInput, AIMessage]:
        """The provider's own tool formatting, bound to this wrapper (so calls still go through `_generate`)."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        bound = self.inner.bind_tools(tools, **kwargs)
        return self.bind(**getattr(bound, "kwargs", {}))


def _client_kwargs(asset: Any, provider: str, api_key: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"timeout": asset.timeout_s, "max_retries": 0}
    if api_key is not None:
        kwargs["api_key"] = api_key
    if asset.base_url:
        kwargs["base_url"] = asset.base_url
    if provider == "openai":
        kwargs["stream_usage"] = True  # output tokens are counted on streamed calls too
    if provider == "anthropic":
        kwargs["max_tokens"] = min(asset.max_output_tokens, _ANTHROPIC_MAX_TOKENS)
    return kwargs


def open_chat_model(asset: Any, *, secrets_backend: Any = None, budget: RunBudget | None = None,
                    stream: bool = True) -> GovernedChatModel:
    """The governed model for one run of `asset` (a `chat_model` RuntimeAsset).

    Raises `AccessBlockedError` when the key's ref is not in the backend, `ConfigError` when the provider is not one
    `init_chat_model` can build here. `stream=False` makes plain (non-SSE) provider calls.
    """
    if asset.kind != "chat_model":
        raise ConfigError(f"asset {asset.asset_id!r} is a {asset.kind}, not a chat_model")
    from fractalops.armory.secrets import open_secret_backend, resolve_asset_secrets

    secrets = resolve_asset_secrets(asset, secrets_backend if secrets_backend is not None else open_secret_backend())
    provider = asset.model.split(":", 1)[0]
    try:
        from langchain.chat_models import init_chat_model

        inner = init_chat_model(asset.model, **_client_kwargs(asset, provider, secrets.get("api_key")))
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"chat model asset {asset.asset_id!r}: model {asset.model!r} cannot be built here "
                          f"({Redactor(secrets).redact(str(exc))[:200]}); install the provider's langchain package "
                          "or use an openai:/anthropic: id") from None
    return GovernedChatModel(inner=inner, budget=budget or RunBudget.for_asset(asset), redactor=Redactor(secrets),
                             asset_id=asset.asset_id, secret_refs=sorted(asset.secrets.values()), stream_calls=stream)


def message_text(message: Any) -> str:
    """The text of a model message (string content, or the text blocks of a block list)."""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content
                       if not isinstance(b, dict) or b.get("type") in (None, "text"))
    return str(content or "")


def text_answer(model: BaseChatModel, messages: list[BaseMessage]) -> str:
    """One model call, its text (redacted by the governed model)."""
    return message_text(model.invoke(messages)).strip()


def structured_answer(model: BaseChatModel, schema: type[BaseModel], messages: list[BaseMessage]
                      ) -> tuple[BaseModel | None, str]:
    """One model call answered as `schema` (tool-calling structured output, validated by pydantic).

    Returns `(value, "")`, or `(None, why)` when the model's answer is not a valid `schema` (never raises for that;
    provider failures raise as in `GovernedChatModel`).
    """
    answer: dict[str, Any] = model.with_structured_output(schema, include_raw=True).invoke(messages)  # type: ignore[assignment]
    parsed, error = answer.get("parsed"), answer.get("parsing_error")
    if isinstance(parsed, schema):
        return parsed, ""
    if error is not None:
        return None, f"the model's answer is not a valid {schema.__name__}: {str(error).splitlines()[0][:200]}"
    return None, f"the model answered without a {schema.__name__}"
