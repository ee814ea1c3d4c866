"""The governed chat model: built from an asset with `init_chat_model`, budgeted, redacted, structured answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from fractalops.adapters.chat_model import RunBudget, open_chat_model, structured_answer, text_answer
from fractalops.armory.assets import RuntimeAsset
from fractalops.armory.secrets import LocalSecretBackend
from fractalops.errors import ConfigError, ModelRunError
from tests.adapters.model_fixtures import CANARY_KEY, KEY_REF, PROVIDERS, model_asset, scripted_model
from tests.adapters.scripted_models import Call, ModelScript, Turn


class Answer(BaseModel):
    verdict: str
    score: int


@pytest.fixture
def backend(tmp_path: Path) -> LocalSecretBackend:
    store = LocalSecretBackend(tmp_path / "secrets.json")
    store.put(KEY_REF, CANARY_KEY)
    return store


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
def test_a_text_answer_is_redacted_and_counted(provider, stream, backend):
    with scripted_model(provider, ModelScript(plain_text=f"my key is {CANARY_KEY}, really")) as server:
        model = open_chat_model(model_asset(provider, server), secrets_backend=backend, stream=stream)
        text = text_answer(model, [HumanMessage(content="say something")])
        sent = server.model_requests()[0]
    assert text == "my key is [REDACTED:api_key], really"
    assert model.budget.steps == 1 and model.budget.output_tokens == 10
    assert bool(sent.body.get("stream")) == stream and CANARY_KEY not in json.dumps(sent.body)
    assert CANARY_KEY not in repr(model.model_dump(exclude={"inner"})) and "api_key" not in repr(model.budget)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_structured_output_is_validated_by_pydantic(provider, backend):
    good = ModelScript(by_tool={"Answer": Turn(calls=(Call("Answer", {"verdict": "fine", "score": 3}),))})
    bad = ModelScript(by_tool={"Answer": Turn(calls=(Call("Answer", {"verdict": "fine", "score": "many"}),))})
    with scripted_model(provider, good) as server:
        value, why = structured_answer(open_chat_model(model_asset(provider, server), secrets_backend=backend),
                                       Answer, [HumanMessage(content="judge")])
    assert value == Answer(verdict="fine", score=3) and why == ""
    with scripted_model(provider, bad) as server:
        value, why = structured_answer(open_chat_model(model_asset(provider, server), secrets_backend=backend),
                                       Answer, [HumanMessage(content="judge")])
    assert value is None and why.startswith("the model's answer is not a valid Answer")


def test_the_budget_refuses_a_call_past_any_limit():
    budget = RunBudget(max_steps=2, max_output_tokens=1000, timeout_s=60)
    budget.before_call()
    budget.before_call()
    with pytest.raises(ModelRunError) as caught:
        budget.before_call()
    assert caught.value.reason == "budget" and "`max_steps`" in str(caught.value)
    with pytest.raises(ModelRunError) as caught:
        RunBudget(max_steps=5, max_output_tokens=10, timeout_s=0).before_call()
    assert caught.value.reason == "timeout"


def test_an_unbuildable_provider_is_a_config_error(backend):
    asset = RuntimeAsset(asset_id="m", role="model", kind="chat_model", model="nosuchprovider:x",
                         secrets={"api_key": KEY_REF})
    with pytest.raises(ConfigError) as caught:
        open_chat_model(asset, secrets_backend=backend)
    assert "'m'" in str(caught.value) and CANARY_KEY not in str(caught.value)
    with pytest.raises(ConfigError):
        open_chat_model(RuntimeAsset(asset_id="w", role="b", kind="native"), secrets_backend=backend)
