"""The shipped global ontology and SHACL shapes (read-only, loaded once per process).

The ontology is every Turtle file in `ontology/` except the shapes: `fractalops.ttl` (the core classes and domain
terms) and `telemetry.ttl` (the terms telemetry events, spans and log records are classified under).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from fractalops.planes.semantics.namespaces import FO

__all__ = ["ONTOLOGY_FILES", "ontology_graph", "shapes_graph", "ontology_text", "shapes_text", "global_terms", "is_global_term"]


ONTOLOGY_FILES = ("fractalops.ttl", "telemetry.ttl")
"""The ontology's Turtle files under `ontology/`, in load order."""


def ontology_text() -> str:
    """The Turtle source of the global ontology (its files, one after the other: each declares its own prefixes)."""
    folder = resources.files(__package__).joinpath("ontology")
    return "\n".join(folder.joinpath(name).read_text("utf-8") for name in ONTOLOGY_FILES)


def shapes_text() -> str:
    """The Turtle source of the SHACL shapes."""
    return resources.files(__package__).joinpath("ontology/shapes.ttl").read_text("utf-8")


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """The global ontology graph. Shared: callers must not mutate it."""
    return Graph().parse(data=ontology_text(), format="turtle")


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    """The SHACL shapes graph, flattened for speed. Shared: callers must not mutate it.

    Each `sh:property` of a class-targeted node shape becomes a property shape with the same `sh:targetClass`
    (same SHACL meaning): pyshacl then validates it once for all focus nodes instead of once per node (~5x faster).
    """
    graph = Graph().parse(data=shapes_text(), format="turtle")
    for node_shape, prop in list(graph.subject_objects(SH.property)):
        targets = list(graph.objects(node_shape, SH.targetClass))
        if not targets:
            continue
        for target in targets:
            graph.add((prop, SH.targetClass, target))
        graph.add((prop, RDF.type, SH.PropertyShape))
        graph.remove((node_shape, SH.property, prop))
    return graph


@lru_cache(maxsize=1)
def global_terms() -> frozenset[URIRef]:
    """The global domain terms (`fo:DomainTerm`): the only IRIs a local term may map to."""
    return frozenset(t for t in ontology_graph().subjects(RDF.type, FO.DomainTerm) if isinstance(t, URIRef))


def is_global_term(iri: str) -> bool:
    """True when `iri` names a global domain term (`fo:DomainTerm`) of the shipped ontology."""
    return (URIRef(iri), RDF.type, FO.DomainTerm) in ontology_graph()
