"""CLI fixtures: no ambient CLI config or keys, one real server for the package, and the CLI as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import fractalops
from fractalops.cli.main import app
from tests.e2e.conftest import Server, start_server

REPO_ROOT = Path(fractalops.__file__).resolve().parent.parent
_AMBIENT = ("FRACTALOPS_API_KEY", "LANGGRAPH_API_KEY", "FRACTALOPS_SERVER_URL", "FRACTALOPS_API_KEYS",
            "FRACTALOPS_OPENBAO_ADDR", "FRACTALOPS_ARMORY")


@pytest.fixture(autouse=True)
def _no_ambient_cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty XDG config dir and none of the user's keys or server settings."""
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("cli-server-data"))
    yield srv
    srv.dev.stop()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`cli(*argv, key=..., url=..., input=...)`: the root app in-process (typer's CliRunner)."""

    def invoke(*argv: str, key: str | None = None, url: str | None = None, input: str | None = None) -> Result:
        if key is not None:
            monkeypatch.setenv("FRACTALOPS_API_KEY", key)
        if url is not None:
            monkeypatch.setenv("FRACTALOPS_SERVER_URL", url)
        out = CliRunner().invoke(app, list(argv), input=input)
        assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
        return Result(out.exit_code, out.stdout, out.stderr)

    return invoke


def run_cli(*argv: str, cwd: Path, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 120) -> Result:
    """The CLI as a real process (stdout a pipe, not a terminal), importing this checkout from any `cwd`."""
    full = {**os.environ, **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), full.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "fractalops.cli.main", *argv], cwd=cwd, env=full, input=input,
                          capture_output=True, text=True, timeout=timeout)
    return Result(done.returncode, done.stdout, done.stderr)
