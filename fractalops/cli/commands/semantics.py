"""`fractalops semantics`: the server's semantic graph (describe, impact) and local vocabularies checked against it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)
terms_app = typer.Typer(help="Project-local vocabularies.", no_args_is_help=True)
app.add_typer(terms_app, name="terms")

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
def describe(iri: Annotated[str, typer.Argument(metavar="IRI", help="Global IRI.")], as_json: JsonFlag = False) -> None:
    """Print every triple about IRI (exit 1 when the graph knows nothing about it)."""
    document = server().get("/semantics/describe", iri=iri)
    if as_json:
        emit_json(document)
    elif document["triples"]:
        out.table(["predicate", "object"], [(_short(p), _short(o)) for _s, p, o in document["triples"]], title=iri)
    else:
        out.echo(f"no identity {iri} in the semantic graph")
    if not document["triples"]:
        raise typer.Exit(1)


@app.command("impact")
def impact(target: Annotated[str, typer.Argument(metavar="TARGET", help="IRI, dataset name or project/dataset.")],
           as_json: JsonFlag = False) -> None:
    """Print downstream lineage paths from a dataset, proposal or other node."""
    document = server().get("/semantics/impact", target=target)
    if as_json:
        emit_json(document)
        return
    if not document["paths"]:
        out.echo(f"nothing downstream of {target}")
    for path in document["paths"]:
        out.echo(" → ".join(_short(n) for n in path))


@terms_app.command("check")
def terms_check(
    file: Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, readable=True,
                                         help="Local vocabulary: YAML (`project`, `terms`) or Turtle.")],
    project: Annotated[str | None, typer.Option(help="Project name (default: from the file).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check that every local term maps to the server's global ontology (exit 1 when any does not)."""
    document = server().post("/semantics/terms/check", {
        "filename": file.name, "content": file.read_text(encoding="utf-8"), "project": project})
    if as_json:
        emit_json(document)
    else:
        out.table(["term", "maps to", "match", "status"],
                  [(t["term"], t["global_iri"] or "-", t["match"] or "-", "ok" if t["ok"] else f"unmapped: {t['reason']}")
                   for t in document["terms"]], title=f"local terms of {document['project']}")
    if not document["ok"]:
        raise typer.Exit(1)
