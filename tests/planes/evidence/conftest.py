from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.planes.evidence import ChronicleLog, open_chronicle


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("FRACTALOPS_DATA_DIR", str(path))
    return path


@pytest.fixture
def log(data_dir: Path) -> ChronicleLog:
    chronicle = open_chronicle(data_dir)
    yield chronicle
    chronicle.close()
