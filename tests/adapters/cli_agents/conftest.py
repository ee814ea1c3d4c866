"""Fixtures for the real Codex / Claude Code CLIs against scripted model servers on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fractalops.armory.secrets import LocalSecretBackend

from .scripted_anthropic import ScriptedAnthropic, start_scripted_anthropic
from .scripted_openai import ScriptedOpenAI, start_scripted_openai

REPO_ROOT = Path(__file__).resolve().parents[3]
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-cli-agents.sh"
BIN_ENV = "FRACTALOPS_CLI_AGENTS_BIN"

CANARY_KEY = "sk-canary-7f3c9e21d0b84a6f"
"""The API key the scripted servers accept; also the canary that must never leave the adapter boundary."""
WRONG_KEY = "sk-wrong-5b1d0c7a9e3f2864"


def cli_agent_bin(name: str) -> Path:
    """The installed CLI binary; FAILS (never skips) with the install command when it is missing."""
    base = Path(os.environ.get(BIN_ENV) or REPO_ROOT / ".cache" / "cli-agents" / "node_modules" / ".bin")
    path = base / name
    if not (path.exists() and os.access(path, os.X_OK)):
        pytest.fail(
            f"the {name} CLI is not installed at {path}; run `{INSTALL_SCRIPT.relative_to(REPO_ROOT)}` "
            f"(or point {BIN_ENV} at a directory holding `codex` and `claude`)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def codex_bin() -> Path:
    return cli_agent_bin("codex")


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    return cli_agent_bin("claude")


@pytest.fixture
def anthropic_server() -> Iterator[ScriptedAnthropic]:
    server = start_scripted_anthropic(CANARY_KEY)
    yield server
    server.stop()


@pytest.fixture
def openai_server() -> Iterator[ScriptedOpenAI]:
    server = start_scripted_openai(CANARY_KEY)
    yield server
    server.stop()


def repo_snapshot(repo: Path) -> tuple[str, ...]:
    """HEAD, status, worktree list and every file's bytes: equal snapshots mean the repo was not touched."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout

    files = tuple(
        f"{p.relative_to(repo)}:{p.read_bytes().hex()}"
        for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.relative_to(repo).parts
    )
    return (git("rev-parse", "HEAD"), git("status", "--porcelain", "--ignored"), git("stash", "list"), *files)


@pytest.fixture
def secrets_backend(tmp_path: Path) -> LocalSecretBackend:
    """An empty local secret backend private to the test."""
    return LocalSecretBackend(tmp_path / "secrets" / "local.json")


class TargetWatch:
    """`on_event` callback that snapshots the target repo at every event: proves it is untouched DURING the run."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.before = repo_snapshot(repo)
        self.events: list[dict] = []
        self.touched: list[str] = []

    def __call__(self, event: dict) -> None:
        self.events.append(event)
        if repo_snapshot(self.repo) != self.before:
            self.touched.append(str(event.get("type")))
