"""The pinned install of the third-party MCP servers: idempotent, and a missing server fails loudly (never skips)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .servers import INSTALL_SCRIPT, PREFIX_ENV, memory_server_js


def test_a_missing_server_fails_with_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREFIX_ENV, str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="install-mcp-servers.sh"):
        memory_server_js()


def test_the_install_script_is_idempotent_and_pinned() -> None:
    entry = memory_server_js()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=True, env=env).stdout
    assert "already installed" in out
    manifest = json.loads((entry.parents[1] / "package.json").read_text())
    assert (manifest["name"], manifest["version"]) == ("@modelcontextprotocol/server-memory", "2026.8.31")
