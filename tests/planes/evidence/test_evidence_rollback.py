"""The evidence rollback suite: real ledger writes (in-process squad, real chdb and SQLite), then tampering on disk.

Every attack here leaves a Chronicle that the log-only check (`ChronicleLog.verify`) still calls ok; the witnesses
in the proposal store and the warehouse, and the refs of evidenced proposals, are what catch it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from typer.testing import CliRunner

from fractalops.cli.commands.evidence import app as evidence_cli
from fractalops.graphs.squad import build_squad
from fractalops.planes.evidence import CHECKS, ChronicleLog, chronicle_dir, leaf_hash, open_chronicle
from fractalops.planes.evidence._canonical import canonical_json
from fractalops.planes.proposals import ProposalStatus, open_witness_store
from fractalops.planes.warehouse import close_warehouse, get_warehouse
from fractalops.runtime import resources as _resources
from fractalops.runtime.resources import squad_resources
from fractalops.server.evidence_routes import verify_data_dir
from tests.conftest import make_git_repo

ALICE = {"identity": "alice", "roles": ["operator", "approver"]}
runner = CliRunner()


def _config(thread: str) -> dict:
    return {"configurable": {"thread_id": thread, "langgraph_auth_user": ALICE, "bindings": {"forge": "native"}}}


def apply_changes(root: Path, names: list[str]) -> list[str]:
    """Launch, approve and prove one change per name (one thread each) with the real squad; their proposal ids."""
    squad = build_squad().compile(checkpointer=InMemorySaver())
    repo = make_git_repo(root / f"repo-{uuid.uuid4().hex[:6]}")
    ids = []
    for name in names:
        thread = str(uuid.uuid4())
        payload = {"intent": f"add {name}", "workspace": str(repo),
                   "changes": [{"path": f"src/{name}.py", "content": f"print({name!r})\n"}]}
        request = squad.invoke(payload, _config(thread))["__interrupt__"][0].value
        squad.invoke(Command(resume={"decisions": [{"type": "approve"}]}), _config(thread))
        ids.append(request["action_requests"][0]["args"]["proposal_id"])
    return ids


def use_data_dir(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(path))
    _resources._open.cache_clear()
    return path


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list[str]]]:
    """A data dir where the squad applied and proved two changes (two entries, two checkpoints, four witnesses)."""
    close_warehouse()
    root = use_data_dir(tmp_path / "data", monkeypatch)
    ids = apply_changes(tmp_path, ["alpha", "beta"])
    assert [squad_resources().proposals.get(i).status for i in ids] == [ProposalStatus.EVIDENCED] * 2
    yield root, ids
    close_warehouse()


def verify(root: Path, **kwargs: bool) -> dict:
    """The server's verify document for `root` (the same call `GET /evidence/verify` makes)."""
    return verify_data_dir(root, proposals=squad_resources().proposals, witnesses=open_witness_store(root),
                           warehouse=get_warehouse(), **kwargs)


def offline(root: Path, *args: str) -> tuple[int, dict]:
    result = runner.invoke(evidence_cli, ["verify", "--json", "--data-dir", str(root), *args])
    return result.exit_code, json.loads(result.stdout)


def log_files(root: Path) -> tuple[Path, Path]:
    log_dir = chronicle_dir(root) / "logs" / "main"
    return log_dir / "entries.log", log_dir / "checkpoints.log"


def drop_last_line(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))


def log_only_ok(root: Path) -> bool:
    with ChronicleLog(chronicle_dir(root), readonly=True) as log:
        return log.verify().ok


def failed(document: dict) -> set[str]:
    assert document["failed"] == [c["name"] for c in document["checks"] if not c["ok"]]
    return set(document["failed"])


def test_a_clean_log_after_real_ledger_writes_is_ok(applied: tuple[Path, list[str]]) -> None:
    root, ids = applied
    document = verify(root)
    assert document["ok"] is True, document["reason"]
    assert [c["name"] for c in document["checks"]] == list(CHECKS) and all(c["ok"] for c in document["checks"])
    assert (document["size"], document["signed_size"], document["witnessed_size"]) == (2, 2, 2)
    assert document["witnesses"] == 4, "each checkpoint is witnessed in the proposal store and in the warehouse"
    assert document["evidenced"] == 2 and document["first_bad"] is None and document["reason"] is None
    assert {s["name"]: s["witnesses"] for s in document["sources"]} == {"proposals.sqlite": 2, "warehouse": 2}
    code, doc = offline(root)
    assert code == 0 and doc["ok"] is True and doc["witnesses"] >= 2
    assert ids == [p.id for p in squad_resources().proposals.list(status=ProposalStatus.EVIDENCED)]


def test_truncated_tail_together_with_its_checkpoint_is_detected(applied: tuple[Path, list[str]]) -> None:
    root, ids = applied
    entries, checkpoints = log_files(root)
    drop_last_line(entries)
    drop_last_line(checkpoints)
    assert log_only_ok(root), "the log alone is self-consistent after the rollback"
    document = verify(root)
    assert document["ok"] is False and failed(document) == {"witnessed_size", "evidenced_refs"}
    assert document["first_bad"] == 1 and document["size"] == 1
    assert document["reason"].startswith("witnessed_size: the log holds 1 entry, but a checkpoint of size 2")
    assert "proposals.sqlite" in document["reason"] and "warehouse" in document["reason"]
    refs = next(c for c in document["checks"] if c["name"] == "evidenced_refs")
    assert ids[1] in refs["detail"] and "past the end" in refs["detail"]
    code, doc = offline(root)
    assert code == 1 and doc["ok"] is False and "witnessed_size" in doc["failed"]


def test_an_unsigned_append_is_detected_unless_allowed(applied: tuple[Path, list[str]]) -> None:
    root, _ = applied
    entries, _ = log_files(root)
    body = canonical_json({"type": "proposal_applied", "proposal_id": "prop_forged", "commit": "f" * 40})
    with entries.open("ab") as handle:
        handle.write(leaf_hash(body).hex().encode() + b" " + body + b"\n")
    assert log_only_ok(root), "a well-formed line with no checkpoint passes the log-only check"
    document = verify(root)
    assert document["ok"] is False and failed(document) == {"signed_tail"}
    assert document["first_bad"] == 2 and document["size"] == 3
    assert "1 entry (2..2) beyond the newest signed checkpoint (size 2)" in document["reason"]
    allowed = verify(root, allow_unsigned_tail=True)
    assert allowed["ok"] is True and allowed["allow_unsigned_tail"] is True
    assert "allowed" in next(c for c in allowed["checks"] if c["name"] == "signed_tail")["detail"]
    assert offline(root)[0] == 1 and offline(root, "--allow-unsigned-tail")[0] == 0


def test_a_deleted_log_is_detected_while_proposals_reference_it(applied: tuple[Path, list[str]]) -> None:
    root, ids = applied
    for path in log_files(root):
        path.unlink()
    assert log_only_ok(root)
    document = verify(root)
    assert document["ok"] is False and document["size"] == 0
    assert failed(document) == {"log_present", "witnessed_size", "evidenced_refs"}
    assert document["reason"].startswith("log_present: ") and "holds no entries" in document["reason"]
    assert "2 witnessed checkpoint(s)" in document["reason"] and "2 evidenced proposal(s)" in document["reason"]
    shutil.rmtree(chronicle_dir(root))  # the whole Chronicle, keys too
    document = verify(root)
    assert document["ok"] is False and {"log_present", "signing_key", "witnessed_size"} <= failed(document)
    code, doc = offline(root)
    assert code == 1 and doc["ok"] is False and doc["failed"][0] == "log_present"
    assert not chronicle_dir(root).exists(), "verifying never recreates the log"
    assert ids


def test_a_log_swapped_in_from_another_data_dir_is_detected(applied: tuple[Path, list[str]], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = applied
    close_warehouse()
    other = use_data_dir(tmp_path / "other", monkeypatch)
    apply_changes(tmp_path, ["gamma", "delta"])  # same shape: two entries, two checkpoints, its own key
    close_warehouse()
    use_data_dir(root, monkeypatch)
    shutil.rmtree(chronicle_dir(root))
    shutil.copytree(chronicle_dir(other), chronicle_dir(root))
    assert log_only_ok(root), "the swapped-in Chronicle is internally perfect"
    document = verify(root)
    assert document["ok"] is False
    assert {"signing_key", "witnessed_root", "evidenced_refs"} <= failed(document)
    assert document["reason"].startswith("signing_key: ") and "another data dir" in document["reason"]
    assert document["first_bad"] == 0


def test_a_log_rewritten_and_re_signed_with_the_stolen_key_is_detected(applied: tuple[Path, list[str]]) -> None:
    root, ids = applied
    chronicle = chronicle_dir(root)
    entries, checkpoints = log_files(root)
    with ChronicleLog(chronicle, readonly=True) as log:
        originals = [log.entry(i) for i in range(log.size)]
    entries.unlink()
    checkpoints.unlink()
    forged = dict(originals[0], commit="0" * 40)  # the attacker keeps the key and the size, changes one entry
    with open_chronicle(root) as log:
        log.append(forged)
        log.checkpoint()
        log.append(originals[1])
        log.checkpoint()
    assert log_only_ok(root)
    document = verify(root)
    assert document["ok"] is False and failed(document) == {"witnessed_root", "evidenced_refs"}
    assert document["reason"].startswith("witnessed_root: the log's root at size 1 is ")
    assert document["first_bad"] == 0
    assert ids[0] in next(c for c in document["checks"] if c["name"] == "evidenced_refs")["detail"]


def test_a_malformed_witness_record_fails_verification(applied: tuple[Path, list[str]]) -> None:
    root, _ = applied
    with sqlite3.connect(root / "proposals.sqlite") as db:
        db.execute("UPDATE chronicle_witness SET root = 'not hex' WHERE size = 1")
    document = verify(root)
    assert document["ok"] is False and failed(document) == {"witness_records"}
    assert "proposals.sqlite" in document["reason"] and "root is not lowercase hex" in document["reason"]


def test_verify_from_another_cwd_never_creates_a_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("FRACTALOPS_DATA_DIR", raising=False)
    missing = tmp_path / "no-such-data-dir"
    result = runner.invoke(evidence_cli, ["verify", "--json", "--data-dir", str(missing)])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["error_type"] == "EvidenceError" and f"no data dir at {missing}" in doc["error"]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(evidence_cli, ["verify", "--json", "--data-dir", str(empty)])
    assert result.exit_code == 1 and "no Chronicle log 'main'" in json.loads(result.stdout)["error"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "empty"]
    assert list(elsewhere.iterdir()) == [] and list(empty.iterdir()) == []
