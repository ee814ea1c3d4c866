"""The README's SDK example, copied as it stands and run against a real `langgraph dev`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.server

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _example() -> str:
    block = README.split("<!-- sdk-example -->\n```python\n", 1)[1]
    return block.split("\n```", 1)[0]


def test_the_readme_sdk_example_runs_as_written(server: Server, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_example())
    env = {**os.environ, "FRACTALOPS_SERVER_URL": server.url, "FRACTALOPS_API_KEY": "key-alice"}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("**add a greeting module**"), lines
    assert lines[1].startswith("approve -> closed: graph="), lines
    assert lines[2] == "edit -> gate: review 1 pending proposal(s): approve, edit or reject", lines
    assert lines[3].startswith("approve my own edit -> ") and "edit" in lines[3] and "approve" in lines[3], lines
    assert re.fullmatch(r"reject -> done: prop_\w+ rejected by alice: not now; nothing was applied", lines[4]), lines
