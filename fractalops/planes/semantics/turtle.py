"""Turtle parsing with errors that name the source and line."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from fractalops.errors import SemanticsError
from fractalops.planes.semantics.validation import require_valid

__all__ = ["parse_turtle", "load_turtle"]


def _source(text_or_path: str | Path) -> tuple[str, str]:
    if isinstance(text_or_path, Path):
        try:
            return text_or_path.read_text("utf-8"), str(text_or_path)
        except OSError as exc:
            raise SemanticsError(f"cannot read Turtle file {text_or_path}: {exc}") from exc
    if "\n" not in text_or_path and len(text_or_path) < 4096:
        candidate = Path(text_or_path)
        try:
            if candidate.is_file():
                return candidate.read_text("utf-8"), str(candidate)
        except OSError:
            pass
    return text_or_path, "<turtle text>"


def parse_turtle(text_or_path: str | Path) -> Graph:
    """Parse Turtle (text, or a path to a file) into a new graph; no validation."""
    text, where = _source(text_or_path)
    graph = Graph()
    try:
        graph.parse(data=text, format="turtle")
    except BadSyntax as exc:
        line = int(getattr(exc, "lines", 0)) + 1
        why = getattr(exc, "_why", str(exc))
        src = text.splitlines()
        snippet = src[line - 1].strip() if 0 < line <= len(src) else ""
        raise SemanticsError(
            f"malformed Turtle in {where} at line {line}: {why}"
            + (f"\n  {line} | {snippet}" if snippet else "")
            + "\nfix the syntax at that line and load it again"
        ) from exc
    except Exception as exc:  # rdflib raises plain exceptions for e.g. undefined prefixes
        raise SemanticsError(f"malformed Turtle in {where}: {exc}; fix it and load it again") from exc
    return graph


def load_turtle(text_or_path: str | Path) -> Graph:
    """Parse and SHACL-validate Turtle; raises `SemanticsError` with line info or the violations."""
    text, where = _source(text_or_path)
    graph = parse_turtle(text if where == "<turtle text>" else Path(where))
    require_valid(graph, where)
    return graph
