"""Chat-model assets pointed at the scripted model servers, for the real provider clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fractalops.armory.assets import RuntimeAsset
from tests.adapters.scripted_models import (
    ModelScript,
    ScriptedModelServer,
    start_anthropic_messages,
    start_openai_chat,
)

__all__ = ["CANARY_KEY", "KEY_REF", "PROVIDERS", "scripted_model", "model_asset"]

CANARY_KEY = "sk-canary-model-4e1f9a27c3d8b650"
"""The key the scripted servers accept; must never appear outside the provider client."""
KEY_REF = "openbao://kv/test/model#api_key"
PROVIDERS = ("openai", "anthropic")


@contextmanager
def scripted_model(provider: str, script: ModelScript, key: str = CANARY_KEY) -> Iterator[ScriptedModelServer]:
    server = (start_openai_chat if provider == "openai" else start_anthropic_messages)(key, script)
    try:
        yield server
    finally:
        server.stop()


def model_asset(provider: str, server: ScriptedModelServer, **fields: Any) -> RuntimeAsset:
    """A `chat_model` asset on `server` (OpenAI's base URL carries `/v1`, Anthropic's does not)."""
    base_url = server.base_url + ("/v1" if provider == "openai" else "")
    values: dict[str, Any] = {"asset_id": "model.test", "role": "model", "kind": "chat_model",
                              "model": f"{provider}:scripted-model", "base_url": base_url,
                              "secrets": {"api_key": KEY_REF}, "timeout_s": 30, **fields}
    return RuntimeAsset(**values)
