"""`fractalops evidence verify|show|proof --data-dir D` (offline) through typer's CliRunner: exit codes and JSON.

The server path (the default, no --data-dir) is tested against a real server in tests/e2e/test_evidence_server.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from fractalops.cli.commands.evidence import app
from fractalops.planes.evidence import ChronicleLog, verify_inclusion

_runner = CliRunner()


def offline(cli: typer.Typer, args: list[str]) -> Result:
    """Read the test's data dir offline (`--data-dir`), as every command did before the server path existed."""
    return _runner.invoke(cli, [*args, "--data-dir", os.environ["FRACTALOPS_DATA_DIR"]])


def _seed(log: ChronicleLog) -> None:
    log.append_many([{"i": i, "what": "proof"} for i in range(9)])
    log.checkpoint()


def test_verify_json_ok_and_corrupt(log: ChronicleLog) -> None:
    _seed(log)
    result = offline(app, ["verify", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {k: doc[k] for k in ("ok", "size", "first_bad", "reason")} == {"ok": True, "size": 9, "first_bad": None,
                                                                          "reason": None}
    path = log.root / "logs" / "main" / "entries.log"
    lines = path.read_bytes().splitlines(keepends=True)
    data = bytearray(b"".join(lines))
    data[sum(map(len, lines[:3])) + 70] ^= 0x04
    path.write_bytes(bytes(data))
    result = offline(app, ["verify", "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["ok"] is False and doc["size"] == 9 and doc["first_bad"] == 3 and "entry 3" in doc["reason"]
    human = offline(app, ["verify"])
    assert human.exit_code == 1 and "CORRUPT" in human.output


def test_verify_on_an_empty_data_dir_is_an_error_that_creates_nothing(data_dir: Path) -> None:
    # Before the witnesses this answered ok with size 0; an absent log is now an error saying so.
    result = offline(app, ["verify", "--json"])
    assert result.exit_code == 1
    assert f"no data dir at {data_dir}" in json.loads(result.output)["error"]
    assert not data_dir.exists()  # the reader created nothing
    data_dir.mkdir()
    result = offline(app, ["verify", "--json"])
    assert result.exit_code == 1 and "no Chronicle log 'main'" in json.loads(result.output)["error"]
    assert list(data_dir.iterdir()) == []


def test_show_entry_and_artifact(log: ChronicleLog) -> None:
    _seed(log)
    art = log.artifacts.put(b"png bytes", "image/png")
    ref = log.append({"artifact": art.uri})
    result = offline(app, ["show", ref.uri, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ref": ref.uri, "entry": {"artifact": art.uri}}
    result = offline(app, ["show", art.uri, "--json"])
    assert json.loads(result.output) == {"ref": art.uri, "media_type": "image/png", "size": 9}
    assert offline(app, ["show", ref.uri]).exit_code == 0


def test_show_bad_refs_exit_1_with_one_json_document(log: ChronicleLog) -> None:
    _seed(log)
    good = log.ref(2)
    wrong = good.uri.replace("/2#", "/3#")
    for ref in ("chronicle://main/2", wrong, "sha256:" + "0" * 64):
        result = offline(app, ["show", ref, "--json"])
        assert result.exit_code == 1
        doc = json.loads(result.output)
        assert doc["ok"] is False and doc["error"]


def test_proof_json_verifies(log: ChronicleLog) -> None:
    _seed(log)
    result = offline(app, ["proof", "5", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    path = [bytes.fromhex(p) for p in doc["audit_path"]]
    assert doc["verified"] and doc["size"] == 9 and len(path) == 4
    assert verify_inclusion(bytes.fromhex(doc["leaf_hash"]), 5, 9, path, bytes.fromhex(doc["root"]))
    assert doc["root"] == log.latest_checkpoint().root
    small = json.loads(offline(app, ["proof", "1", "--size", "2", "--json"]).output)
    assert small["size"] == 2 and len(small["audit_path"]) == 1
    assert offline(app, ["proof", "9", "--json"]).exit_code == 1
    assert offline(app, ["proof", "5"]).exit_code == 0


def test_group_is_mounted_on_the_root_cli(log: ChronicleLog) -> None:
    from fractalops.cli.main import app as root

    _seed(log)
    result = offline(root, ["evidence", "verify", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["ok"] is True
