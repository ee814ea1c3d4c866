"""`fractalops features show` is a thin client: it imports no plane, no Feast, no pandas (the route is tested
through a real server in tests/e2e/test_features_server.py)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_main import HEAVY, _imported


def test_features_show_imports_nothing_heavy(tmp_path: Path) -> None:
    imported = _imported(tmp_path, "features", "show", "forge", "--json")
    avoid = (*HEAVY, "feast", "pandas", "pyarrow")
    assert [m for m in imported if any(m == h or m.startswith(h + ".") for h in avoid)] == []
    assert "fractalops.cli.commands.features" in imported
