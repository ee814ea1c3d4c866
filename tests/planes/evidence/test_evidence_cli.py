"""`fractalops evidence verify|show|proof` through typer's CliRunner: exit codes and JSON documents."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fractalops.cli.commands.evidence import app
from fractalops.planes.evidence import ChronicleLog, verify_inclusion

runner = CliRunner()


def _seed(log: ChronicleLog) -> None:
    log.append_many([{"i": i, "what": "proof"} for i in range(9)])
    log.checkpoint()


def test_verify_json_ok_and_corrupt(log: ChronicleLog) -> None:
    _seed(log)
    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ok": True, "size": 9, "first_bad": None, "reason": None}
    path = log.root / "logs" / "main" / "entries.log"
    lines = path.read_bytes().splitlines(keepends=True)
    data = bytearray(b"".join(lines))
    data[sum(map(len, lines[:3])) + 70] ^= 0x04
    path.write_bytes(bytes(data))
    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["ok"] is False and doc["size"] == 9 and doc["first_bad"] == 3 and "entry 3" in doc["reason"]
    human = runner.invoke(app, ["verify"])
    assert human.exit_code == 1 and "CORRUPT" in human.output


def test_verify_on_an_empty_data_dir(data_dir: Path) -> None:
    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["size"] == 0
    assert not (data_dir / "chronicle").exists()  # the reader created nothing


def test_show_entry_and_artifact(log: ChronicleLog) -> None:
    _seed(log)
    art = log.artifacts.put(b"png bytes", "image/png")
    ref = log.append({"artifact": art.uri})
    result = runner.invoke(app, ["show", ref.uri, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ref": ref.uri, "entry": {"artifact": art.uri}}
    result = runner.invoke(app, ["show", art.uri, "--json"])
    assert json.loads(result.output) == {"ref": art.uri, "media_type": "image/png", "size": 9}
    assert runner.invoke(app, ["show", ref.uri]).exit_code == 0


def test_show_bad_refs_exit_1_with_one_json_document(log: ChronicleLog) -> None:
    _seed(log)
    good = log.ref(2)
    wrong = good.uri.replace("/2#", "/3#")
    for ref in ("chronicle://main/2", wrong, "sha256:" + "0" * 64):
        result = runner.invoke(app, ["show", ref, "--json"])
        assert result.exit_code == 1
        doc = json.loads(result.output)
        assert doc["ok"] is False and doc["error"]


def test_proof_json_verifies(log: ChronicleLog) -> None:
    _seed(log)
    result = runner.invoke(app, ["proof", "5", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    path = [bytes.fromhex(p) for p in doc["audit_path"]]
    assert doc["verified"] and doc["size"] == 9 and len(path) == 4
    assert verify_inclusion(bytes.fromhex(doc["leaf_hash"]), 5, 9, path, bytes.fromhex(doc["root"]))
    assert doc["root"] == log.latest_checkpoint().root
    small = json.loads(runner.invoke(app, ["proof", "1", "--size", "2", "--json"]).output)
    assert small["size"] == 2 and len(small["audit_path"]) == 1
    assert runner.invoke(app, ["proof", "9", "--json"]).exit_code == 1
    assert runner.invoke(app, ["proof", "5"]).exit_code == 0


def test_group_is_mounted_on_the_root_cli(log: ChronicleLog) -> None:
    from fractalops.cli.main import app as root

    _seed(log)
    result = runner.invoke(root, ["evidence", "verify", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["ok"] is True
