"""`fractalops semantics`: inspect the semantic graph and check local vocabularies (read-only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fractalops.cli.commands._client import fail
from fractalops.errors import FractalOpsError
from fractalops.planes.semantics.graph import open_semantics
from fractalops.planes.semantics.terms import TermMap

__all__ = ["NAME", "app"]

NAME = "semantics"
app = typer.Typer(help="Global ontology, lineage and the local→global term map.", no_args_is_help=True)
terms_app = typer.Typer(help="Project-local vocabularies.", no_args_is_help=True)
app.add_typer(terms_app, name="terms")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document.")]


_PREFIXES = {
    "https://fractalops.dev/ontology#": "fo:",
    "https://fractalops.dev/id/": "id:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
}


def _short(value: str) -> str:
    for ns, prefix in _PREFIXES.items():
        if value.startswith(ns):
            return prefix + value[len(ns):]
    return value


@app.command("describe")
def describe(iri: Annotated[str, typer.Argument(help="Global IRI.")], as_json: JsonFlag = False) -> None:
    """Print every triple about IRI (exit 1 when the graph knows nothing about it)."""
    try:
        triples = open_semantics().describe(iri)
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"ok": bool(triples), "iri": iri, "triples": [list(t) for t in triples]}))
    else:
        table = Table(title=iri)
        table.add_column("predicate")
        table.add_column("object")
        for _s, p, o in triples:
            table.add_row(_short(p), _short(o))
        Console().print(table if triples else f"no identity {iri} in the semantic graph")
    if not triples:
        raise typer.Exit(1)


@app.command("impact")
def impact(target: Annotated[str, typer.Argument(help="IRI, dataset name or project/dataset.")],
           as_json: JsonFlag = False) -> None:
    """Print downstream lineage paths from a dataset, proposal or other node."""
    try:
        paths = open_semantics().impact_paths(target)
    except FractalOpsError as exc:
        fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps({"ok": True, "target": target, "paths": paths}))
        return
    console = Console()
    if not paths:
        console.print(f"nothing downstream of {target}")
    for path in paths:
        console.print(" → ".join(_short(n) for n in path))


@terms_app.command("check")
def terms_check(
    file: Annotated[Path, typer.Argument(help="Local vocabulary: YAML (`project`, `terms`) or Turtle.")],
    project: Annotated[str | None, typer.Option(help="Project name (default: from the file).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check that every local term maps to the global ontology (exit 1 when any does not)."""
    try:
        term_map = TermMap.from_file(file, project=project, semantics=open_semantics())
        checks = term_map.check()
    except FractalOpsError as exc:
        fail(exc, as_json)
    ok = all(c.ok for c in checks)
    if as_json:
        typer.echo(json.dumps({
            "ok": ok, "project": term_map.project,
            "terms": [{"term": c.local_term, "global_iri": c.global_iri, "match": c.match, "ok": c.ok,
                       "reason": c.reason} for c in checks],
        }))
    else:
        table = Table(title=f"local terms of {term_map.project}")
        for col in ("term", "maps to", "match", "status"):
            table.add_column(col)
        for c in checks:
            table.add_row(c.local_term, c.global_iri or "-", c.match or "-",
                          "[green]ok[/]" if c.ok else f"[red]unmapped[/]: {c.reason}")
        Console().print(table)
    if not ok:
        raise typer.Exit(1)
