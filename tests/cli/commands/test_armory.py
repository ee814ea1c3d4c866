"""`fractalops armory` through the server's `GET /armory`, and `armory check --file` offline."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.server


def _asset(asset_id: str, role: str) -> dict:
    return {"asset_id": asset_id, "role": role, "kind": "codex", "command": ["tool", "{prompt}"]}


def test_list_json_has_kind_ceiling_and_bindings(server, cli) -> None:
    result = cli("armory", "list", "--json", key="key-alice", url=server.url)
    assert result.code == 0
    rows = result.json()
    by_id = {row["asset_id"]: row for row in rows}
    assert by_id["workspace.default"]["kind"] == "workspace_cli"
    assert by_id["workspace.default"]["bound_agents"] == ["forge"]
    assert {"asset_id", "role", "kind", "ceiling", "allowed_roles"} <= set(rows[0])
    assert {by_id[i]["kind"] for i in ("codex.default", "claude.default", "zai.default")} == {"codex", "claude", "zai"}
    human = cli("armory", "list")
    assert human.code == 0 and "workspace.default" in human.stdout and "codex.default" in human.stdout


def test_every_key_may_read_the_armory_but_not_without_a_valid_key(server, cli) -> None:
    for key in ("key-bob", "key-bot", "key-carol"):
        assert cli("armory", "check", "--json", key=key, url=server.url).json()["bindings"] == {
            "forge": "workspace.default"}
    refused = cli("armory", "list", "--json", key="not-a-key", url=server.url)
    assert refused.code == 1 and refused.json()["error_type"] == "Unauthorized"
    assert "refused the API key from FRACTALOPS_API_KEY" in refused.json()["error"]


def test_check_a_file_offline(tmp_path, cli) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump({"assets": [_asset("one", "x")], "bindings": {"forge": "one"}}))
    result = cli("armory", "check", "--file", str(good), "--json")  # no server, no key
    assert result.code == 0 and result.json() == {"ok": True, "path": str(good.resolve()), "assets": 1,
                                                  "bindings": {"forge": "one"}}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"assets": [_asset("dup", "x"), _asset("dup", "y")]}))
    result = cli("armory", "check", "--file", str(bad), "--json")
    assert result.code == 1
    document = result.json()
    assert document["ok"] is False and "assets[1]" in document["error"] and str(bad.resolve()) in document["error"]
    human = cli("armory", "check", "--file", str(bad))
    assert human.code == 1 and "duplicates asset_id" in human.stderr


def test_adapter_kinds_come_from_the_server(server, cli) -> None:
    result = cli("adapters", "kinds", "--json", key="key-carol", url=server.url)
    assert result.code == 0
    assert {"workspace_cli", "codex", "claude", "zai"} <= set(result.json()["kinds"])
