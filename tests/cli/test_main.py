"""The root command: `--version`, help that lists every command, plain flags, and a start-up that imports little."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fractalops.cli.main import GROUPS
from tests.cli.conftest import REPO_ROOT, run_cli

ROOT_COMMANDS = ("run", "threads", "show", "resume", "approve", "reject", "edit", "login", "serve")
HEAVY = ("pydantic", "rdflib", "pyshacl", "chdb", "clickhouse_connect", "langgraph", "langchain_core", "langgraph_sdk",
         "regopy", "yaml", "fractalops.planes", "fractalops.server", "fractalops.armory", "fractalops.runtime",
         "fractalops.agents", "fractalops.graphs", "fractalops.adapters")
"""Modules a command that only calls the server (or only prints help) must not import (unless typer itself does)."""
HELP_ONLY = ("httpx", "rich")
"""Nor does help need a client (httpx pulls in rich through its own CLI module)."""


def test_version(tmp_path: Path) -> None:
    from fractalops import __version__

    result = run_cli("--version", cwd=tmp_path)
    assert result.code == 0 and result.stdout == f"fractalops {__version__}\n"


def test_help_lists_every_command_and_group(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.code == 0
    rows = result.stdout.split("Commands:")[1].splitlines()
    listed = {row.split()[0] for row in rows if row.startswith("  ") and not row.startswith("   ")}
    assert listed == {*ROOT_COMMANDS, *GROUPS}
    assert "--url URL" in result.stdout and "--version" in result.stdout


@pytest.mark.parametrize("argv", [["threads"], ["proposals", "show"], ["evidence", "verify"]], ids=" ".join)
def test_help_renders_json_as_a_plain_flag(tmp_path: Path, argv: list[str]) -> None:
    result = run_cli(*argv, "--help", cwd=tmp_path)
    assert result.code == 0
    assert "--json  " in result.stdout.replace("--json   ", "--json  ") and "<bool>" not in result.stdout
    assert "╭" not in result.stdout  # no rich boxes when piped


def test_no_subcommand_prints_the_group_help(tmp_path: Path) -> None:
    result = run_cli("secrets", cwd=tmp_path)
    assert result.code == 2 and "Usage: fractalops secrets" in result.stdout and "put" in result.stdout


_PROBE = """
import json, sys
import typer

# The floor: what typer imports to parse a command line (typer 0.29 brings pydantic) is not the CLI's doing.
floor = typer.Typer()


@floor.command()
def probe(flag: bool = False) -> None:
    pass


try:
    floor(["--flag"])
except SystemExit:
    pass
typer_mods = set(sys.modules)
from fractalops.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(set(sys.modules) - typer_mods)))
"""


def _imported(tmp_path: Path, *argv: str) -> list[str]:

    env = {"PYTHONPATH": str(REPO_ROOT), "FRACTALOPS_SERVER_URL": "http://127.0.0.1:9", "FRACTALOPS_API_KEY": "k",
           "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["threads", "--json"], ["proposals", "list", "--json"]], ids=" ".join)
def test_start_up_imports_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    imported = _imported(tmp_path, *argv)
    avoid = HEAVY + (HELP_ONLY if argv == ["--help"] else ())
    heavy = [m for m in imported if any(m == h or m.startswith(h + ".") for h in avoid)]
    assert heavy == [], heavy
