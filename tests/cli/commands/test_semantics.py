"""`fractalops semantics describe | impact | terms check` through the server's graph (operators and reviewers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.planes.steward import write_sample_project

pytestmark = pytest.mark.server

IRI = "https://fractalops.dev/id/project/shop/dataset/orders_0"


@pytest.fixture(scope="module")
def stewarded(server, tmp_path_factory: pytest.TempPathFactory) -> str:
    project = write_sample_project(tmp_path_factory.mktemp("sem") / "proj", datasets=8)
    client = server.client()
    thread = client.threads.create()["thread_id"]
    client.runs.join(thread, client.runs.create(thread, "steward", input={"project_dir": str(project)})["run_id"])
    return thread


def test_describe_impact_and_terms_check(server, stewarded, cli, tmp_path: Path) -> None:
    described = cli("semantics", "describe", IRI, "--json", key="key-bob", url=server.url)
    assert described.code == 0
    assert [IRI, "https://fractalops.dev/ontology#name", "orders_0"] in described.json()["triples"]
    assert "fo:name" in cli("semantics", "describe", IRI).stdout
    missing = cli("semantics", "describe", IRI + "_nope", "--json")
    assert missing.code == 1 and missing.json()["ok"] is False
    impact = cli("semantics", "impact", "shop/revenue_view_0", "--json")
    assert impact.json()["paths"] == [[
        "https://fractalops.dev/id/project/shop/dataset/revenue_view_0",
        "https://fractalops.dev/id/project/shop/dataset/revenue_rollup"]]
    assert "id:project/shop/dataset/revenue_view_0 → " in cli("semantics", "impact", "shop/revenue_view_0").stdout
    vocab = tmp_path / "vocab.yaml"
    vocab.write_text("project: shop\nterms:\n  Kunde: {exactMatch: fo:Customer}\n")
    ok = cli("semantics", "terms", "check", str(vocab), "--json")
    assert ok.code == 0 and ok.json()["ok"] is True and ok.json()["project"] == "shop"
    vocab.write_text("project: shop\nterms:\n  Kunde: {exactMatch: fo:Customer}\n  Thing: {}\n")
    bad = cli("semantics", "terms", "check", str(vocab), "--json")
    assert bad.code == 1
    assert [t["term"] for t in bad.json()["terms"] if not t["ok"]] == ["Thing"]


def test_a_broken_vocabulary_is_reported_with_its_own_name(server, cli, tmp_path: Path) -> None:
    vocab = tmp_path / "broken.yaml"
    vocab.write_text("project: shop\nterms:\n  Kunde: {nope: fo:Customer}\n")
    result = cli("semantics", "terms", "check", str(vocab), "--json", key="key-alice", url=server.url)
    assert result.code == 1 and result.json()["error_type"] == "SemanticsError"
    assert "broken.yaml: term 'Kunde'" in result.json()["error"] and "fo-terms-" not in result.json()["error"]


@pytest.mark.parametrize("argv", [["describe", IRI], ["impact", "shop/orders_0"]], ids=lambda a: a[0])
@pytest.mark.parametrize("key", ["key-bot", "key-carol"])
def test_agents_and_role_less_keys_may_not_read_the_graph(server, cli, argv: list[str], key: str) -> None:
    result = cli("semantics", *argv, "--json", key=key, url=server.url)
    assert result.code == 1 and result.json()["error_type"] == "Forbidden"
    assert "allowed: operator, reviewer" in result.json()["error"]


def test_terms_check_is_refused_to_role_less_keys(server, cli, tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.yaml"
    vocab.write_text("project: shop\nterms: {}\n")
    result = cli("semantics", "terms", "check", str(vocab), "--json", key="key-carol", url=server.url)
    assert result.code == 1 and result.json()["error_type"] == "Forbidden"
