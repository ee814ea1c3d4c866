"""The run-input contract: what the server's run-create hook (422) and atlas refuse before a run starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.errors import ConfigError
from fractalops.runtime.run_input import validate_run_input


def _input(repo: Path, path: str) -> dict:
    return {"intent": "x", "workspace": str(repo), "changes": [{"path": path, "content": "x\n"}]}


@pytest.mark.parametrize("path,problem", [
    ("/etc/passwd", "absolute"), ("../x", "'..'"), ("a/../../x", "'..'"), ("", "non-empty"),
    ("a\0b", "NUL"), ("a\nb", "control character"), (".git/config", "inside .git"), ("src/.GIT/hooks/pre-commit", "inside .git"),
    (".git", "inside .git"), ("x/.git./y", "inside .git"),
])
def test_unsafe_change_paths_are_refused_naming_the_field(repo: Path, path: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=rf"input\.changes\[0\]\.path .*{problem}.*outside \.git"):
        validate_run_input(_input(repo, path))


@pytest.mark.parametrize("path", ["src/app.py", "dir with space/ünï.txt", ".github/workflows/ci.yml", "x/./y"])
def test_ordinary_paths_pass(repo: Path, path: str) -> None:
    validate_run_input(_input(repo, path))


@pytest.mark.parametrize("mode", ["observe", "auto", ""])
def test_a_run_mode_is_accepted(mode):
    validate_run_input({"intent": "look around", "mode": mode})


@pytest.mark.parametrize("mode", ["build", "OBSERVE", 1, ["observe"]])
def test_an_unknown_run_mode_names_the_valid_ones(mode):
    with pytest.raises(ConfigError) as caught:
        validate_run_input({"intent": "x", "mode": mode})
    assert "input.mode" in str(caught.value) and "auto, observe" in str(caught.value)
