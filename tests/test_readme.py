"""The README's promises that code can check: the two set-up commands and the access table."""

from __future__ import annotations

import re
from pathlib import Path

from fractalops.server.access import render_policy_table

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_first_screen_holds_exactly_the_two_set_up_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.S)
    assert first_block and README.index("```bash") < 800
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["make dev", "make test"]


def test_access_table_is_the_one_the_server_enforces() -> None:
    table = README.split("<!-- access-table:start -->\n", 1)[1].split("\n<!-- access-table:end -->", 1)[0]
    assert table == render_policy_table(), (
        "README's access table is out of date; print the current one with "
        "`python -c 'from fractalops.server.access import render_policy_table; print(render_policy_table())'`")


def test_the_mcp_example_is_an_armory_that_loads(tmp_path: Path) -> None:
    import textwrap

    from fractalops.armory import load_armory

    block = README.split("<!-- mcp-example -->\n", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "armory.yaml"
    path.write_text(textwrap.dedent(block))
    armory = load_armory(path)
    memory, model = armory.asset("memory.mcp"), armory.asset("model.default")
    assert (memory.kind, memory.role, memory.transport, memory.tools) == ("mcp_server", "", "stdio", {"read_graph": "read"})
    assert str(memory.approval_class["delete_entities"]) == "elevated" and model.tools == ["memory.mcp"]
    assert "at most once" in README and "`outcome_unknown`" in README and "fractalops armory tools" in README


def test_features_table_names_every_served_feature() -> None:
    from fractalops.planes.features import FEATURES

    table = README.split("<!-- features-table:start -->\n", 1)[1].split("\n<!-- features-table:end -->", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    assert [(r[0].strip("| `"), r[1], r[2].rstrip(" |")) for r in rows] == [
        (f.qualified, f.dtype, f.description) for f in FEATURES], (
        "README's feature table is out of date; regenerate it from fractalops.planes.features.FEATURES")
