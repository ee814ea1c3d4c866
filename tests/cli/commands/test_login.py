"""`fractalops login URL`: a key checked against the server, stored 0600, then the CLI works from any directory."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli

pytestmark = pytest.mark.server


def test_login_then_use_the_cli_from_another_directory(server, tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    env = {"XDG_CONFIG_HOME": str(xdg)}
    logged = run_cli("login", server.url, "--key-stdin", "--json", cwd=tmp_path, env=env, input="key-bob\n")
    assert logged.code == 0, logged.stderr
    config = xdg / "fractalops" / "config.toml"
    assert logged.json() == {"ok": True, "url": server.url, "identity": "bob", "roles": ["approver"],
                             "config": str(config)}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert tomllib.loads(config.read_text()) == {"url": server.url, "keys": {server.url: "key-bob"}}
    assert "key-bob" not in logged.stdout + logged.stderr

    elsewhere = tmp_path / "some" / "other" / "dir"
    elsewhere.mkdir(parents=True)
    threads = run_cli("threads", "--json", cwd=elsewhere, env=env)  # no URL, no key in the environment
    assert threads.code == 0, threads.stderr
    assert isinstance(threads.json(), list)
    assert not (elsewhere / ".fractalops").exists()
    refused = run_cli("secrets", "list", "--json", cwd=elsewhere, env=env)
    assert refused.json()["error_type"] == "Forbidden" and "bob (reviewer)" in refused.json()["error"]


def test_a_wrong_key_is_refused_and_not_stored(server, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    refused = run_cli("login", server.url, cwd=tmp_path, env=env, input="not-a-key\n")  # piped stdin, no prompt
    assert refused.code == 1
    assert refused.stderr == f"error: the server at {server.url} refused the key you entered: invalid API key\n"
    assert not (tmp_path / "xdg" / "fractalops" / "config.toml").exists()


def test_human_login_says_who_you_are(server, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    logged = run_cli("login", server.url + "/", "--key-stdin", cwd=tmp_path, env=env, input="key-alice")
    assert logged.code == 0
    assert logged.stdout.startswith(f"logged in to {server.url} as alice (approver, operator); key stored in ")
