"""What LangGraph Studio draws from: `/assistants/{id}/schemas` (forms) and `/assistants/{id}/graph` (the graph).

Checked for every graph `langgraph.json` registers, so a graph added later is covered.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.server

CONFIG = json.loads((Path(__file__).resolve().parents[2] / "langgraph.json").read_text())


def _compiled(spec: str):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("graph_id", sorted(CONFIG["graphs"]))
def test_studio_gets_forms_and_the_whole_graph(server: Server, graph_id: str) -> None:
    headers = {"x-api-key": "key-alice"}
    search = {"graph_id": graph_id, "metadata": {"created_by": "system"}}
    assistant = httpx.post(f"{server.url}/assistants/search", json=search, headers=headers).json()[0]["assistant_id"]
    schemas = httpx.get(f"{server.url}/assistants/{assistant}/schemas", headers=headers)
    assert schemas.status_code == 200, schemas.text[:500]
    body = schemas.json()
    for key in ("input_schema", "output_schema", "config_schema", "context_schema"):
        assert body.get(key), f"{graph_id}: {key} is {body.get(key)!r}"
        assert body[key].get("properties"), f"{graph_id}: {key} has no fields for Studio's form"
    drawn = httpx.get(f"{server.url}/assistants/{assistant}/graph", params={"xray": "true"}, headers=headers)
    assert drawn.status_code == 200, drawn.text[:500]
    nodes = {n["id"] for n in drawn.json()["nodes"]}
    expected = set(_compiled(CONFIG["graphs"][graph_id]).get_graph(xray=True).nodes)
    assert expected <= nodes, f"{graph_id}: Studio would not draw {sorted(expected - nodes)}"
    assert len(drawn.json()["edges"]) >= len(expected) - 1


def test_squad_input_form_names_the_run_contract(server: Server) -> None:
    headers = {"x-api-key": "key-alice"}
    squad = httpx.get(f"{server.url}/assistants/squad/schemas", headers=headers)
    if squad.status_code == 422:  # assistant ids must be UUIDs: look the system assistant up
        search = {"graph_id": "squad", "metadata": {"created_by": "system"}}
        assistants = httpx.post(f"{server.url}/assistants/search", json=search, headers=headers).json()
        squad = httpx.get(f"{server.url}/assistants/{assistants[0]['assistant_id']}/schemas", headers=headers)
    body = squad.json()
    assert {"intent", "workspace", "changes", "messages"} <= set(body["input_schema"]["properties"])
    assert {"packs", "bindings"} <= set(body["context_schema"]["properties"])
    assert body["input_schema"]["properties"]["intent"].get("description")
