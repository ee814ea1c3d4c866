"""Output when stdout is not a terminal: plain aligned columns, nothing wrapped or cut, diffs byte for byte."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli
from tests.conftest import make_git_repo

LONG = "x" * 240


def test_tables_and_fields_are_plain_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    from fractalops.cli import _output as out

    out.table(["id", "status"], [("t-" + LONG, "done"), ("t-2", "running\nstill")], title="threads")
    out.fields([("intent", "ship " + LONG)], title="HUD")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "threads:"
    assert lines[1].split() == ["id", "status"] and lines[2] == f"t-{LONG}  done"
    assert lines[3].split() == ["t-2", "running", "still"]  # a cell stays on its row
    assert lines[4:] == ["HUD:", f"  intent: ship {LONG}"]
    assert "…" not in "".join(lines)


def test_raw_writes_bytes_exactly(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    from fractalops.cli import _output as out

    text = "a\tb \r\nünï\n\\ no newline at end"
    out.raw(text)
    assert capfdbinary.readouterr().out == text.encode()


@pytest.mark.server
def test_piped_output_is_unwrapped_untruncated_and_the_diff_applies(server, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo")
    long_name = "src/" + "deeply_nested_module_name_" * 4 + ".py"
    local = tmp_path / "change.py"
    local.write_text(f"VALUE = '{LONG}'\n\tindented = 'tab'  \nunicode = 'ünïcødé'\n")
    env = {"FRACTALOPS_SERVER_URL": server.url, "FRACTALOPS_API_KEY": "key-alice"}
    launched = run_cli("run", "long lines", "--workspace", str(repo), "--change", f"{long_name}={local}", cwd=tmp_path,
                       env=env)
    assert launched.code == 0, launched.stderr
    thread_id = launched.stdout.splitlines()[0].removeprefix("thread ")
    assert f"decide with: fractalops approve {thread_id} | reject {thread_id} --message ... | edit {thread_id} --file PATCH" in (
        launched.stdout.splitlines())
    pending = [line for line in launched.stdout.splitlines() if line.startswith("workspace_patch ")]
    assert len(pending) == 1 and pending[0].split()[-1] == long_name
    proposal_id = pending[0].split()[1]

    threads = run_cli("threads", cwd=tmp_path, env=env).stdout.splitlines()
    row = next(line for line in threads if line.startswith(thread_id))
    assert row.split()[1] == "awaiting_approval" and "gate: waiting for approval" in row
    listed = run_cli("proposals", "list", "--thread", thread_id, cwd=tmp_path, env=env).stdout
    assert listed.splitlines()[1].split()[:2] == [proposal_id, thread_id] and "…" not in listed

    shown = run_cli("proposals", "show", proposal_id, cwd=tmp_path, env=env)
    assert shown.code == 0 and f"+VALUE = '{LONG}'\n" in shown.stdout
    patch = tmp_path / "copied.patch"
    patch.write_text(shown.stdout)
    check = subprocess.run(["git", "apply", "--check", str(patch)], cwd=repo, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    subprocess.run(["git", "apply", str(patch)], cwd=repo, check=True)
    assert (repo / long_name).read_text() == local.read_text()


def test_on_a_terminal_rich_folds_long_cells_but_never_cuts_them(monkeypatch, capsys) -> None:
    from fractalops.cli import _output as out

    monkeypatch.setattr(out, "is_tty", lambda: True)
    thread_id = "01a2314b-5e26-747e-a5fd-" + "9" * 90
    out.table(["thread", "status"], [(thread_id, "done")], title="threads")
    out.fields([("intent", thread_id)], title="HUD")
    out.echo("[bold]not markup[/]", style="bold")
    text = capsys.readouterr().out
    assert "…" not in text and "[bold]not markup[/]" in text
    assert text.count("9") == 2 * 90  # folded over lines where it must, every character kept
