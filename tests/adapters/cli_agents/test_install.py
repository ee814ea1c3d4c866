"""The pinned install of the CLIs: idempotent, and a missing binary fails the suite loudly (never skips)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from .conftest import BIN_ENV, INSTALL_SCRIPT, cli_agent_bin


def test_missing_binary_fails_with_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BIN_ENV, str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="install-cli-agents.sh"):
        cli_agent_bin("codex")


def test_install_script_is_idempotent_and_pinned(codex_bin: Path, claude_bin: Path) -> None:
    started = time.monotonic()
    out = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=True).stdout
    assert "already installed" in out and time.monotonic() - started < 10
    versions = [subprocess.run([str(b), "--version"], capture_output=True, text=True, check=True).stdout
                for b in (codex_bin, claude_bin)]
    assert versions[0].strip() == "codex-cli 0.169.0"
    assert versions[1].startswith("2.1.328 ")
