"""The data dir is private: 0700 directories, 0600 files, fixed at start with a warning naming each path."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from fractalops.server.private_files import secure_data_dir
from tests.e2e.conftest import start_server


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_loose_modes_are_tightened_and_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "data"
    (root / "secrets").mkdir(parents=True)
    (root / "chronicle" / "main").mkdir(parents=True)
    files = {root / "api_keys.json": 0o644, root / "secrets" / "local.json": 0o666, root / "proposals.sqlite": 0o640,
             root / "chronicle" / "main" / "entries.log": 0o604}
    for path, mode in files.items():
        path.write_text("x")
        os.chmod(path, mode)
    os.chmod(root, 0o755)
    os.chmod(root / "secrets", 0o755)
    (root / "link").symlink_to("/etc/passwd")
    with caplog.at_level(logging.WARNING, logger="fractalops.server"):
        fixed = secure_data_dir(root)
    assert set(fixed) >= set(files) | {root, root / "secrets"}
    assert all(_mode(p) == 0o600 for p in files) and _mode(root) == _mode(root / "secrets") == 0o700
    assert _mode(Path("/etc/passwd")) == 0o644, "a symlink's target outside the data dir is never touched"
    assert str(root / "api_keys.json") in caplog.text and "was mode 644, now 600" in caplog.text
    assert secure_data_dir(root) == [], "a second start has nothing to fix"


def test_a_server_start_fixes_a_loose_data_dir(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "secrets").mkdir(parents=True)
    secret = root / "secrets" / "local.json"
    secret.write_text("{}")
    os.chmod(secret, 0o644)
    os.chmod(root, 0o755)
    srv = start_server(root)
    try:
        assert _mode(root) == 0o700 and _mode(root / "secrets") == 0o700 and _mode(secret) == 0o600
        assert "was mode 644, now 600" in (root / "server" / "server.log").read_text()
    finally:
        srv.dev.stop()
