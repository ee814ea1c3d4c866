"""Every `fractalops` command group reports errors one way: with --json one document
`{"ok": false, "error", "error_type", ...}` on stdout; without it `error: <message>` on stderr, verbatim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fractalops.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.delenv("FRACTALOPS_OPENBAO_ADDR", raising=False)
    (tmp_path / "not-json.json").write_text("{ nope")
    (tmp_path / "armory.yaml").write_text("assets: [{id: x}]\n")


CASES = [
    # argv (after the group), expected error_type, words of the message, exit code
    (["evidence", "show", "chronicle://main/x"], "EvidenceError", "malformed evidence ref", 1),
    (["secrets", "put", "vault://kv/x#y"], "SecretError", "malformed secret ref", 1),
    (["proof", "check", "{tmp}/missing.json"], "FileNotFoundError", "cannot read the bundle", 2),
    (["proof", "check", "{tmp}/not-json.json"], "BundleError", "is not a JSON proof bundle", 2),
    (["steward", "run", "{tmp}/no-such-project"], None, "no-such-project", 1),
    (["armory", "check", "--file", "{tmp}/armory.yaml"], "ConfigError", "armory.yaml", 1),
    (["show", "t-1"], "ServerUnreachable", "no LangGraph server at http://127.0.0.1:9", 1),
]


def _argv(argv: list[str], tmp_path: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp_path)) for a in argv]


@pytest.mark.parametrize(("argv", "error_type", "words", "code"), CASES, ids=[" ".join(c[0][:2]) for c in CASES])
def test_json_errors_share_one_shape(
    argv: list[str], error_type: str | None, words: str, code: int, tmp_path: Path
) -> None:
    result = runner.invoke(app, [*_argv(argv, tmp_path), "--json"], input="value")
    assert result.exit_code == code, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is False and words in document["error"], document
    assert isinstance(document["error_type"], str) and document["error_type"]
    if error_type is not None:
        assert document["error_type"] == error_type


def test_human_errors_go_to_stderr_verbatim(tmp_path: Path) -> None:
    # Square brackets in a message are printed as they are, not read as rich markup.
    result = runner.invoke(app, ["secrets", "put", "vault://kv/[bold]x#y"], input="value")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "vault://kv/[bold]x#y" in result.stderr
