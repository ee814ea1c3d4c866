from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.errors import SemanticsError
from fractalops.planes.semantics import load_turtle, open_semantics, parse_turtle

PREFIX = "@prefix fo: <https://fractalops.dev/ontology#> .\n@prefix ex: <https://example.org/> .\n"
VALID = PREFIX + (
    'ex:p a fo:Project ; fo:name "shop" .\n'
    'ex:d a fo:Dataset ; fo:name "orders" ; fo:inProject ex:p ; fo:datasetKind "table" .\n'
)


def test_malformed_turtle_names_the_line() -> None:
    text = PREFIX + 'ex:p a fo:Project ; fo:name "shop" .\nex:d a fo:Dataset fo:name "x" .\n'
    with pytest.raises(SemanticsError) as err:
        parse_turtle(text)
    assert "line 4" in str(err.value)
    assert "malformed Turtle" in str(err.value)


def test_malformed_turtle_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(PREFIX + "ex:a ex:b .\n")
    with pytest.raises(SemanticsError, match=r"bad\.ttl at line 3"):
        load_turtle(bad)


def test_shacl_violation_lists_the_shape_messages() -> None:
    text = PREFIX + 'ex:d a fo:Dataset ; fo:name "orders" .\n'
    with pytest.raises(SemanticsError) as err:
        load_turtle(text)
    msg = str(err.value)
    assert "SHACL validation failed" in msg
    assert "a Dataset must be fo:inProject an fo:Project" in msg
    assert "fo:datasetKind" in msg
    assert "https://example.org/d" in msg


def test_valid_turtle_loads_and_persists(tmp_path: Path) -> None:
    assert len(load_turtle(VALID)) == 6
    sg = open_semantics(tmp_path)
    assert sg.load_turtle(VALID) == 6
    assert open_semantics(tmp_path).has_identity("https://example.org/d")


def test_invalid_turtle_writes_nothing(tmp_path: Path) -> None:
    sg = open_semantics(tmp_path)
    sg.load_turtle(VALID)
    before = sg.path.read_bytes()
    with pytest.raises(SemanticsError):
        sg.load_turtle(PREFIX + 'ex:e a fo:Dataset ; fo:name "lonely" .\n')
    with pytest.raises(SemanticsError):
        sg.load_turtle(PREFIX + "ex:e ex:f\n")
    assert sg.path.read_bytes() == before
    assert not open_semantics(tmp_path).has_identity("https://example.org/e")
    assert [p.name for p in sg.root.iterdir() if p.name.endswith(".tmp")] == []
