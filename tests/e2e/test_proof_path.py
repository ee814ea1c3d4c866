"""The proof path through a real server: closes end to end, exports an offline bundle, and names a missing plane."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app
from fractalops.planes.evidence import EvidenceRef
from fractalops.planes.semantics import open_semantics
from fractalops.planes.warehouse import close_warehouse, open_warehouse
from tests.conftest import make_git_repo
from tests.e2e._journey import decide, launch, request_of
from tests.e2e.test_restart import own_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.server


def _applied_thread(server, tmp_path, name: str) -> tuple[str, str]:
    repo = make_git_repo(tmp_path / name)
    client = server.client()
    thread = launch(client, repo, path=f"src/{name}.py")
    pid = request_of(client, thread)["action_requests"][0]["args"]["proposal_id"]
    decide(client, thread, {"type": "approve"})
    return thread, pid


def _cli(server, monkeypatch, *args: str) -> tuple[int, dict]:
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", server.url)
    monkeypatch.setenv("FRACTALOPS_API_KEY", "key-alice")
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(server.data_dir))
    result = CliRunner().invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_proof_closes_and_each_missing_plane_is_named(own_server, tmp_path, monkeypatch):  # noqa: F811
    server = own_server
    threads = {name: _applied_thread(server, tmp_path, name) for name in ("whole", "graph", "warehouse", "chronicle")}
    hud = server.client().http.get(f"/threads/{threads['whole'][0]}/hud")
    assert hud["completion_proof"].startswith("closed: graph=https://fractalops.dev/id/proposal/")

    code, verdict = _cli(server, monkeypatch, "proof", "verify", threads["whole"][0], "--bundle", str(tmp_path / "b.json"))
    assert code == 0 and verdict["closed"] is True
    assert set(verdict) == {"closed", "graph", "warehouse", "chronicle"}
    assert all(verdict[p]["ok"] and verdict[p]["ref"] for p in ("graph", "warehouse", "chronicle"))
    code, offline = _cli(server, monkeypatch, "proof", "check", str(tmp_path / "b.json"))
    assert code == 0 and offline["closed"] is True
    bundle = json.loads((tmp_path / "b.json").read_text())
    bundle["warehouse"]["row"]["graph_iri"] = "https://fractalops.dev/id/proposal/forged"
    (tmp_path / "forged.json").write_text(json.dumps(bundle))
    code, forged = _cli(server, monkeypatch, "proof", "check", str(tmp_path / "forged.json"))
    assert code == 1 and forged["warehouse"]["ok"] is False and forged["chronicle"]["ok"] is True

    # graph: remove the semantic identity (the server reloads the graph file when it changes)
    graph_ref = _cli(server, monkeypatch, "proof", "verify", threads["graph"][0])[1]["graph"]["ref"]
    assert open_semantics(server.data_dir).remove_identity(graph_ref) > 0
    code, verdict = _cli(server, monkeypatch, "proof", "verify", threads["graph"][0])
    assert code == 1 and [p for p in ("graph", "warehouse", "chronicle") if not verdict[p]["ok"]] == ["graph"]

    # warehouse: the server is the single chdb writer, so stop it, delete the fact, start it again
    fact_id = _cli(server, monkeypatch, "proof", "verify", threads["warehouse"][0])[1]["warehouse"]["ref"]
    server.dev.stop()
    close_warehouse()  # chdb allows one open path per process; earlier in-process tests may hold another
    warehouse = open_warehouse(server.data_dir)
    assert warehouse.delete_proof_fact(fact_id)
    warehouse.close()
    server.restart()
    code, verdict = _cli(server, monkeypatch, "proof", "verify", threads["warehouse"][0])
    assert code == 1 and [p for p in ("graph", "warehouse", "chronicle") if not verdict[p]["ok"]] == ["warehouse"]
    code, verdict = _cli(server, monkeypatch, "proof", "verify", threads["whole"][0])
    assert code == 0, "the other threads' proof is untouched"

    # chronicle: tamper with the entry's bytes on disk; its ref no longer verifies
    ref = EvidenceRef.parse(_cli(server, monkeypatch, "proof", "verify", threads["chronicle"][0])[1]["chronicle"]["ref"])
    code, evidence = _cli(server, monkeypatch, "evidence", "verify")
    assert code == 0 and evidence["ok"] is True and evidence["size"] >= 4
    entries = sorted((server.data_dir / "chronicle").rglob("*"), key=lambda p: p.stat().st_size, reverse=True)
    log_file = next(p for p in entries if p.is_file() and threads["chronicle"][1].encode() in p.read_bytes())
    data = bytearray(log_file.read_bytes())
    at = data.index(threads["chronicle"][1].encode())
    data[at] ^= 0x01
    log_file.chmod(0o644)
    log_file.write_bytes(bytes(data))
    code, evidence = _cli(server, monkeypatch, "evidence", "verify")
    assert code != 0 and evidence["ok"] is False and evidence["first_bad"] == ref.index
    code, verdict = _cli(server, monkeypatch, "proof", "verify", threads["chronicle"][0])
    assert code == 1 and verdict["chronicle"]["ok"] is False
