"""SHACL validation of data graphs against the global shapes (pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as _shacl_validate
from rdflib import Graph, URIRef
from rdflib.graph import ReadOnlyGraphAggregate
from rdflib.namespace import SH

from fractalops.errors import SemanticsError
from fractalops.planes.semantics.ontology import ontology_graph, shapes_graph

__all__ = ["Violation", "ValidationReport", "validate", "require_valid"]


@dataclass(frozen=True)
class Violation:
    """One SHACL result."""

    focus: str
    """The node that failed."""
    path: str
    """The property path that failed ('' for node-level constraints)."""
    message: str
    """The shape's sh:message (or pyshacl's text when the shape has none)."""
    severity: str
    """`Violation`, `Warning` or `Info` (local name of the sh:severity IRI)."""

    def __str__(self) -> str:
        at = f" {self.path}" if self.path else ""
        return f"{self.focus}{at}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating a data graph."""

    conforms: bool
    """True when no result of severity Violation was produced."""
    violations: tuple[Violation, ...]
    """Every SHACL result, in a stable order."""
    text: str
    """pyshacl's human-readable report."""

    def messages(self) -> list[str]:
        return [str(v) for v in self.violations]


def validate(graph: Graph) -> ValidationReport:
    """Validate `graph` (plus the global ontology, for class hierarchy and terms) against the shapes."""
    # pyshacl does not mix `ont_graph` in without inference, and sh:class needs the ontology's typing: validate a
    # read-only union view (no copy of either graph).
    combined = ReadOnlyGraphAggregate([graph, ontology_graph()])
    conforms, results, text = _shacl_validate(
        combined,
        shacl_graph=shapes_graph(),
        inference="none",
        inplace=True,
        abort_on_first=False,
        allow_warnings=True,
        advanced=False,
    )
    violations = []
    for result in results.subjects(SH.resultSeverity, None):
        severity = results.value(result, SH.resultSeverity)
        message = results.value(result, SH.resultMessage)
        violations.append(
            Violation(
                focus=str(results.value(result, SH.focusNode)),
                path=str(results.value(result, SH.resultPath) or ""),
                message=str(message) if message is not None else "constraint failed",
                severity=str(severity).rsplit("#", 1)[-1] if isinstance(severity, URIRef) else "Violation",
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path, v.message))
    return ValidationReport(conforms=bool(conforms), violations=tuple(violations), text=str(text))


def require_valid(graph: Graph, where: str) -> ValidationReport:
    """Validate and raise `SemanticsError` listing every violation when `graph` does not conform."""
    report = validate(graph)
    if not report.conforms:
        lines = "\n  ".join(report.messages()[:50])
        more = len(report.violations) - 50
        extra = f"\n  ... and {more} more" if more > 0 else ""
        raise SemanticsError(
            f"SHACL validation failed for {where}: {len(report.violations)} violation(s)\n  {lines}{extra}\n"
            "fix the data (or map local terms to the global ontology) and load it again"
        )
    return report
