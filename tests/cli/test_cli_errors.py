"""Every `fractalops` command reports errors one way: with --json one document
`{"ok": false, "error", "error_type", ...}` on stdout; without it `error: <message>` on stderr, verbatim; never a
traceback; exit 2 for usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture(autouse=True)
def _files(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "not-json.json").write_text("{ nope")
    (tmp_path / "armory.yaml").write_text("assets: [{id: x}]\n")


CASES = [
    # argv, env, expected error_type, words of the message, exit code
    (["evidence", "show", "chronicle://main/x"], {}, "EvidenceError", "malformed evidence ref", 1),
    (["secrets", "put", "openbao://kv/x#y"], {"FRACTALOPS_API_KEY": "k"}, "SecretError", "no value on stdin", 1),
    (["proof", "check", "{tmp}/missing.json"], {}, "FileNotFoundError", "cannot read the bundle", 2),
    (["proof", "check", "{tmp}/not-json.json"], {}, "BundleError", "is not a JSON proof bundle", 2),
    (["armory", "check", "--file", "{tmp}/armory.yaml"], {}, "ConfigError", "armory.yaml", 1),
    (["show", "t-1"], {"FRACTALOPS_API_KEY": "k"}, "ServerUnreachable", f"no LangGraph server at {UNREACHABLE}", 1),
    (["show", "t-1"], {}, "NoApiKey", "looked at FRACTALOPS_API_KEY (unset), LANGGRAPH_API_KEY (unset)", 1),
    (["run", "x", "--change", "a.py={tmp}/missing.py"], {}, "UsageError", "cannot read", 2),
    (["edit", "t-1", "--file", "{tmp}/missing.diff"], {}, "UsageError", "does not exist", 2),
    (["show"], {}, "UsageError", "Missing argument", 2),
    (["threadz"], {}, "UsageError", "Did you mean 'threads'?", 2),
    (["threads", "--no-such-flag"], {}, "UsageError", "No such option", 2),
]
IDS = [" ".join(c[0][:2]) + ("" if not c[1] else " (key set)") for c in CASES]


def _argv(argv: list[str], tmp_path: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp_path)) for a in argv]


@pytest.mark.parametrize(("argv", "env", "error_type", "words", "code"), CASES, ids=IDS)
def test_json_errors_share_one_shape(cli, monkeypatch, argv, env, error_type, words, code, tmp_path: Path) -> None:
    for name, value in {"FRACTALOPS_SERVER_URL": UNREACHABLE, **env}.items():
        monkeypatch.setenv(name, value)
    result = cli(*_argv(argv, tmp_path), "--json", input="")
    assert result.code == code, (result.stdout, result.stderr)
    document = json.loads(result.stdout)
    assert document["ok"] is False and words in document["error"], document
    assert document["error_type"] == error_type


@pytest.mark.parametrize(("argv", "env", "error_type", "words", "code"), CASES, ids=IDS)
def test_human_errors_go_to_stderr(cli, monkeypatch, argv, env, error_type, words, code, tmp_path: Path) -> None:
    for name, value in {"FRACTALOPS_SERVER_URL": UNREACHABLE, **env}.items():
        monkeypatch.setenv(name, value)
    result = cli(*_argv(argv, tmp_path), input="")
    assert result.code == code and result.stdout == ""
    assert result.stderr.startswith("error: ") and words in result.stderr


def test_messages_are_printed_verbatim(cli) -> None:
    # Square brackets in a message are printed as they are, not read as markup.
    result = cli("armory", "check", "--file", "/nowhere/[bold]x.yaml")
    assert result.code == 1 and "/nowhere/[bold]x.yaml" in result.stderr


def test_missing_key_names_every_place_it_looked(cli, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", "http://127.0.0.1:2999")
    error = cli("threads", "--json").json()["error"]
    config = tmp_path / "xdg" / "fractalops" / "config.toml"
    assert f"{config} (no key for http://127.0.0.1:2999)" in error
    assert f"{tmp_path / 'data' / 'api_keys.json'} (not found)" in error
    assert "fractalops login http://127.0.0.1:2999" in error
    assert not (tmp_path / ".fractalops").exists()  # looking created nothing


@pytest.mark.parametrize("as_json", [False, True], ids=["human", "json"])
def test_a_real_process_never_prints_a_traceback(tmp_path: Path, as_json: bool) -> None:
    # The missing --change file used to print a Rich traceback, even with --json.
    flag = ["--json"] if as_json else []
    result = run_cli("run", "x", "--change", f"a.py={tmp_path}/missing.py", *flag, cwd=tmp_path,
                     env={"FRACTALOPS_SERVER_URL": UNREACHABLE, "FRACTALOPS_API_KEY": "k"})
    assert result.code == 2 and "Traceback" not in result.stdout + result.stderr
    if as_json:
        assert result.json()["error_type"] == "UsageError" and result.stderr == ""
    else:
        assert result.stderr.startswith("error: Invalid value for --change") and result.stdout == ""


def test_the_url_flag_wins_over_the_environment(cli, monkeypatch) -> None:
    monkeypatch.setenv("FRACTALOPS_SERVER_URL", "http://127.0.0.1:8")
    result = cli("--url", UNREACHABLE, "threads", "--json", key="k")
    assert result.code == 1 and f"no LangGraph server at {UNREACHABLE} (from --url;" in result.json()["error"]
