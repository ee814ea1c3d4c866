"""`StewardReport`: what the RDF steward found in one project, and its RDF / warehouse forms."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from rdflib import Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from fractalops.planes.semantics.namespaces import (
    FO,
    dataset_iri,
    field_iri,
    local_term_iri,
    owner_iri,
    project_iri,
    report_iri,
)

__all__ = ["DatasetKind", "SchemaFieldRecord", "DatasetRecord", "LocalTermRecord", "UnmappedTerm",
           "StewardReport", "LIFECYCLE_EVENTS"]

DatasetKind = Literal["table", "view", "csv", "parquet", "external"]

LIFECYCLE_EVENTS: dict[str, str] = {
    "report_started": str(FO.StewardReport),
    "dataset_discovered": str(FO.Dataset),
    "schema_recorded": str(FO.SchemaField),
    "owner_recorded": str(FO.Owner),
    "term_recorded": str(FO.DomainTerm),
    "lineage_recorded": str(PROV.wasDerivedFrom),
    "report_completed": str(FO.StewardReport),
}
"""Lifecycle event → its default global ontology id (term events use the mapped domain term itself)."""

_EVENT_NS = uuid.UUID("0b5c7a52-31c6-4d7e-8f0e-6d2f1b7f3a11")


class SchemaFieldRecord(BaseModel):
    """One column of a dataset."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Column name as the source spells it."""
    type: str
    """Logical type: `integer`, `double`, `string`, ... (inferred for CSV) or the native type for DDL/Parquet."""
    native_type: str = ""
    """The type exactly as declared by the source (empty for inferred CSV types)."""
    nullable: bool = True
    """Whether empty values were seen / the column allows NULL."""
    primary_key: bool = False
    """Part of the primary key (DDL)."""
    position: int = 0
    """0-based column position."""
    terms: tuple[str, ...] = ()
    """Global domain term IRIs attached to this field (already mapped)."""


class DatasetRecord(BaseModel):
    """One dataset discovered in the project."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Dataset name (DDL table/view name, or file stem)."""
    kind: DatasetKind
    """Where it came from: a DDL `table`/`view`, a `csv`/`parquet` file, or an `external` upstream."""
    platform: str
    """DataHub platform id (`file` for CSV/Parquet, the configured SQL platform for DDL)."""
    source: str = ""
    """Project-relative path of the file that declared it ('' for external upstreams)."""
    line: int | None = None
    """Line of the declaration in `source` (DDL)."""
    description: str = ""
    """Human description from the owners/terms file."""
    fields: tuple[SchemaFieldRecord, ...] = ()
    """Schema, in column order."""
    owners: tuple[str, ...] = ()
    """Owner identities (emails or team names)."""
    terms: tuple[str, ...] = ()
    """Global domain term IRIs attached to the dataset (already mapped)."""
    upstreams: tuple[str, ...] = ()
    """Names of datasets this one is derived from (view lineage)."""


class LocalTermRecord(BaseModel):
    """A project-local term used by the project, with its mapping to the global ontology."""

    model_config = ConfigDict(frozen=True)

    term: str
    global_iri: str
    match: str
    """`exactMatch` or `broadMatch`."""


class UnmappedTerm(BaseModel):
    """A term the project used that does not map to the global ontology (kept out of the RDF until mapped)."""

    model_config = ConfigDict(frozen=True)

    term: str
    where: str
    """`dataset` or `dataset.field` it was attached to."""
    reason: str


class StewardReport(BaseModel):
    """One RDF steward scan of a project."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    """Deterministic id: same project content → same id."""
    project: str
    """Project name (from `fractalops-steward.yaml`, else the directory name)."""
    project_dir: str
    """Absolute path that was scanned."""
    started_at: datetime
    completed_at: datetime
    datasets: tuple[DatasetRecord, ...] = ()
    """Every dataset, sorted by name."""
    local_terms: tuple[LocalTermRecord, ...] = ()
    """Mapped local terms the project used."""
    unmapped_terms: tuple[UnmappedTerm, ...] = ()
    """Terms refused because they do not map to the global ontology."""
    notes: tuple[str, ...] = ()
    """Skipped statements/files and other remarks, in scan order."""
    files_scanned: int = 0

    # -- lookups -------------------------------------------------------------------------------
    @property
    def iri(self) -> str:
        return str(report_iri(self.project, self.report_id))

    def dataset(self, name: str) -> DatasetRecord:
        for ds in self.datasets:
            if ds.name == name:
                return ds
        raise KeyError(name)

    def dataset_iri(self, name: str) -> str:
        return str(dataset_iri(self.project, name))

    def counts(self) -> dict[str, int]:
        """datasets, schema_fields, owners, domain_terms, lineage_edges, unmapped_terms."""
        return {
            "datasets": len(self.datasets),
            "schema_fields": sum(len(d.fields) for d in self.datasets),
            "owners": sum(len(d.owners) for d in self.datasets),
            "domain_terms": sum(len(d.terms) + sum(len(f.terms) for f in d.fields) for d in self.datasets),
            "lineage_edges": sum(len(d.upstreams) for d in self.datasets),
            "unmapped_terms": len(self.unmapped_terms),
        }

    # -- RDF -----------------------------------------------------------------------------------
    def to_graph(self) -> Graph:
        """The report as RDF in the global ontology (validate with `fractalops.planes.semantics.validate`)."""
        g = Graph()
        g.bind("fo", FO)
        g.bind("prov", PROV)
        g.bind("skos", SKOS)
        add = g.add
        proj = project_iri(self.project)
        rep = URIRef(self.iri)
        add((proj, RDF.type, FO.Project))
        add((proj, FO.name, RDFLiteral(self.project)))
        add((rep, RDF.type, FO.StewardReport))
        add((rep, RDF.type, PROV.Activity))
        add((rep, FO.reportId, RDFLiteral(self.report_id)))
        add((rep, FO.inProject, proj))
        add((rep, PROV.startedAtTime, RDFLiteral(self.started_at.isoformat(), datatype=XSD.dateTime)))
        add((rep, PROV.endedAtTime, RDFLiteral(self.completed_at.isoformat(), datatype=XSD.dateTime)))
        owners: set[str] = set()
        for ds in self.datasets:
            node = dataset_iri(self.project, ds.name)
            add((rep, FO.describesDataset, node))
            add((node, RDF.type, FO.Dataset))
            add((node, RDF.type, PROV.Entity))
            add((node, FO.name, RDFLiteral(ds.name)))
            add((node, FO.inProject, proj))
            add((node, FO.datasetKind, RDFLiteral(ds.kind)))
            add((node, FO.platform, RDFLiteral(ds.platform)))
            if ds.source:
                add((node, FO.sourcePath, RDFLiteral(ds.source)))
            if ds.description:
                add((node, RDFS.comment, RDFLiteral(ds.description)))
            for owner in ds.owners:
                o = owner_iri(owner)
                add((node, FO.ownedBy, o))
                owners.add(owner)
            for term in ds.terms:
                add((node, FO.hasTerm, URIRef(term)))
            for up in ds.upstreams:
                add((node, PROV.wasDerivedFrom, dataset_iri(self.project, up)))
            for f in ds.fields:
                fnode = field_iri(self.project, ds.name, f.name)
                add((node, FO.hasField, fnode))
                add((fnode, RDF.type, FO.SchemaField))
                add((fnode, FO.name, RDFLiteral(f.name)))
                add((fnode, FO.fieldType, RDFLiteral(f.type)))
                add((fnode, FO.fieldPosition, RDFLiteral(f.position)))
                for term in f.terms:
                    add((fnode, FO.hasTerm, URIRef(term)))
        for owner in sorted(owners):
            o = owner_iri(owner)
            add((o, RDF.type, FO.Owner))
            add((o, RDF.type, PROV.Agent))
            add((o, FO.name, RDFLiteral(owner)))
            if "@" in owner:
                add((o, FO.email, RDFLiteral(owner)))
        for lt in self.local_terms:
            node = local_term_iri(self.project, lt.term)
            add((node, RDF.type, FO.LocalTerm))
            add((node, RDF.type, SKOS.Concept))
            add((node, SKOS.prefLabel, RDFLiteral(lt.term)))
            add((node, FO.inProject, proj))
            add((node, SKOS.exactMatch if lt.match == "exactMatch" else SKOS.broadMatch, URIRef(lt.global_iri)))
        return g

    def impact_paths(self, graph: Graph | None = None) -> dict[str, list[list[str]]]:
        """dataset name → its downstream paths [name, ..., leaf], computed with a SPARQL property path."""
        g = graph if graph is not None else self.to_graph()
        rows = g.query(
            "SELECT ?up ?down WHERE { ?down <http://www.w3.org/ns/prov#wasDerivedFrom>+ ?up . "
            "?down a <https://fractalops.dev/ontology#Dataset> . }"
        )
        reach: dict[str, set[str]] = {}
        for up, down in rows:  # type: ignore[misc]
            reach.setdefault(str(up), set()).add(str(down))
        by_iri = {self.dataset_iri(d.name): d.name for d in self.datasets}
        children: dict[str, list[str]] = {}
        for d in self.datasets:
            for up in d.upstreams:
                children.setdefault(up, []).append(d.name)
        out: dict[str, list[list[str]]] = {}
        for iri, downs in sorted(reach.items()):
            start = by_iri.get(iri)
            if start is None:
                continue
            allowed = {by_iri[x] for x in downs if x in by_iri}
            paths: list[list[str]] = []

            def walk(node: str, path: list[str], allowed: set[str] = allowed, paths: list[list[str]] = paths) -> None:
                nxt = sorted(c for c in children.get(node, ()) if c in allowed and c not in path)
                if not nxt:
                    if len(path) > 1:
                        paths.append(path)
                    return
                for c in nxt:
                    walk(c, [*path, c])

            walk(start, [start])
            out[start] = paths
        return out

    # -- warehouse -----------------------------------------------------------------------------
    def warehouse_rows(self, *, triples: int = 0, rdf_sha256: str = "", datahub_path: str = "",
                       impact_paths: int | None = None, thread_id: str = "", trace_id: str = "",
                       session_id: str = "") -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(report summary for `Warehouse.record_steward_report`, lifecycle events for `Warehouse.insert_events`).

        Every event's `ontology_id` is a global ontology IRI; the subject identity IRI is in `attrs.subject`.
        """
        counts = self.counts()
        summary: dict[str, Any] = {
            "report_id": self.report_id,
            "ts": self.completed_at,
            "project": self.project,
            "datasets": counts["datasets"],
            "schema_fields": counts["schema_fields"],
            "owners": counts["owners"],
            "domain_terms": counts["domain_terms"],
            "lineage_edges": counts["lineage_edges"],
            "impact_paths": impact_paths if impact_paths is not None else sum(
                len(p) for p in self.impact_paths().values()),
            "triples": triples,
            "rdf_sha256": rdf_sha256,
            "datahub_path": datahub_path,
            "attrs": {
                "report_iri": self.iri,
                "project_dir": self.project_dir,
                "unmapped_terms": [t.model_dump() for t in self.unmapped_terms],
                "notes": list(self.notes),
                "started_at": self.started_at.isoformat(),
            },
        }
        events: list[dict[str, Any]] = []

        def emit(event: str, ts: datetime, subject: str, ontology_id: str | None = None, key: str = "",
                 **attrs: Any) -> None:
            events.append({
                "event_id": str(uuid.uuid5(_EVENT_NS, f"{self.project}|{self.report_id}|{event}|{subject}|{key}")),
                "ts": ts,
                "ontology_id": ontology_id or LIFECYCLE_EVENTS[event],
                "project": self.project,
                "source": "steward",
                "trace_id": trace_id,
                "session_id": session_id,
                "thread_id": thread_id,
                "attrs": {"event": event, "report_id": self.report_id, "subject": subject, **attrs},
            })

        done = self.completed_at
        emit("report_started", self.started_at, self.iri, project_dir=self.project_dir)
        for ds in self.datasets:
            ds_iri = self.dataset_iri(ds.name)
            emit("dataset_discovered", done, ds_iri, dataset=ds.name, kind=ds.kind, source=ds.source)
            if ds.fields:
                emit("schema_recorded", done, ds_iri, dataset=ds.name, fields=[f.name for f in ds.fields])
            for owner in ds.owners:
                emit("owner_recorded", done, ds_iri, key=owner, dataset=ds.name, owner=owner)
            for term in ds.terms:
                emit("term_recorded", done, ds_iri, term, key=term, dataset=ds.name, term=term)
            for f in ds.fields:
                for term in f.terms:
                    emit("term_recorded", done, str(field_iri(self.project, ds.name, f.name)), term,
                         key=term, dataset=ds.name, field=f.name, term=term)
            for up in ds.upstreams:
                emit("lineage_recorded", done, ds_iri, key=up, dataset=ds.name, upstream=up,
                     upstream_iri=self.dataset_iri(up))
        emit("report_completed", done, self.iri, **counts)
        return summary, events

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


