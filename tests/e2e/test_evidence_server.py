"""`fractalops evidence verify|show|proof` through a real server (`GET /evidence/*`, operator keys only).

The CLI runs from a directory that is not the server's data dir and has no FRACTALOPS_DATA_DIR: the server's own
Chronicle and witnesses are what get verified, and nothing is created where the CLI runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.evidence import leaf_hash
from fractalops.planes.evidence._canonical import canonical_json
from tests.conftest import make_git_repo
from tests.e2e._journey import decide, launch, request_of

pytestmark = pytest.mark.server


def _cli(server, monkeypatch, cwd: Path, *args: str, key: str = "key-alice") -> tuple[int, dict]:
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("FRACTALOPS_DATA_DIR", raising=False)
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_API_KEY", key)
    result = CliRunner().invoke(app, ["evidence", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_verify_through_the_server_detects_unsigned_and_rolled_back_entries(server, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    client = server.client()
    repo = make_git_repo(tmp_path / "repo")
    refs = []
    for name in ("one", "two"):
        thread = launch(client, repo, path=f"src/{name}.py")
        pid = request_of(client, thread)["action_requests"][0]["args"]["proposal_id"]
        decide(client, thread, {"type": "approve"})
        refs.append(client.http.get(f"/proposals/{pid}")["evidence"]["chronicle"])

    code, document = _cli(server, monkeypatch, elsewhere, "verify")
    assert code == 0 and document["ok"] is True, document
    assert document["chronicle_dir"] == str(server.data_dir / "chronicle")
    assert document["size"] == document["signed_size"] == document["witnessed_size"] == 2
    assert {s["name"]: s["witnesses"] for s in document["sources"]} == {"proposals.sqlite": 2, "warehouse": 2}
    assert list(elsewhere.iterdir()) == [], "the CLI created nothing where it ran"

    code, shown = _cli(server, monkeypatch, elsewhere, "show", refs[1])
    assert code == 0 and shown["ref"] == refs[1] and shown["entry"]["type"] == "proposal_applied"
    code, proof = _cli(server, monkeypatch, elsewhere, "proof", "1")
    assert code == 0 and proof["verified"] is True and proof["ref"] == refs[1] and proof["size"] == 2
    code, refused = _cli(server, monkeypatch, elsewhere, "verify", key="key-bob")
    assert code == 1 and refused["status"] == 403 and "may not read evidence" in refused["error"]
    assert httpx.get(f"{server.url}/evidence/verify").status_code == 401

    entries = server.data_dir / "chronicle" / "logs" / "main" / "entries.log"
    checkpoints = entries.with_name("checkpoints.log")
    signed = entries.read_bytes()
    body = canonical_json({"type": "proposal_applied", "proposal_id": "prop_forged"})
    entries.write_bytes(signed + leaf_hash(body).hex().encode() + b" " + body + b"\n")
    code, document = _cli(server, monkeypatch, elsewhere, "verify")
    assert code == 1 and document["failed"] == ["signed_tail"] and document["first_bad"] == 2
    code, document = _cli(server, monkeypatch, elsewhere, "verify", "--allow-unsigned-tail")
    assert code == 0 and document["ok"] is True and document["allow_unsigned_tail"] is True

    entries.write_bytes(signed.splitlines(keepends=True)[0])  # roll back the last entry and its checkpoint
    checkpoints.write_bytes(checkpoints.read_bytes().splitlines(keepends=True)[0])
    code, document = _cli(server, monkeypatch, elsewhere, "verify")
    assert code == 1 and document["failed"] == ["witnessed_size", "evidenced_refs"]
    assert document["reason"].startswith("witnessed_size: the log holds 1 entry, but a checkpoint of size 2")
    assert refs[1] in next(c for c in document["checks"] if c["name"] == "evidenced_refs")["detail"]
    assert list(elsewhere.iterdir()) == []
