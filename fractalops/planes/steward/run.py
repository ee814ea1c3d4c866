"""`run_steward`: scan → RDF (file + semantic graph) → DataHub JSON (+ GMS) → warehouse rows."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fractalops import settings
from fractalops.errors import FractalOpsError, SemanticsError
from fractalops.planes._atomic import atomic_write_text
from fractalops.planes.catalog.datahub import write_mcps
from fractalops.planes.catalog.gms import emit_to_gms, gms_url
from fractalops.planes.semantics.graph import open_semantics, steward_graph_iri
from fractalops.planes.semantics.validation import require_valid
from fractalops.planes.steward.report import StewardReport
from fractalops.planes.steward.scan import scan_project

__all__ = ["StewardWarehouse", "StewardRunResult", "run_steward", "steward_rdf_path"]


class StewardWarehouse(Protocol):
    """The two warehouse calls the steward needs (`fractalops.planes.warehouse.Warehouse` satisfies it)."""

    def record_steward_report(self, report: dict[str, Any]) -> str: ...

    def insert_events(self, rows: list[dict[str, Any]]) -> int: ...


@dataclass(frozen=True)
class StewardRunResult:
    """Where one steward run put its outputs."""

    report: StewardReport
    """The scanned report."""
    rdf_path: Path
    """`<data dir>/semantics/steward/<project>.ttl`."""
    datahub_path: Path
    """`<data dir>/catalog/datahub/<project>-<report_id>.json`."""
    triples: int
    """Triples in the report's RDF."""
    datasets: int
    events: int
    """Lifecycle events produced (inserted when a warehouse was given)."""
    mcps: int
    """DataHub MCPs written."""
    rdf_sha256: str
    warehouse_report_id: str | None = None
    """The warehouse's id for the report summary, when a warehouse was given."""
    gms_emitted: int | None = None
    """MCPs accepted by the DataHub GMS, when `FRACTALOPS_DATAHUB_GMS_URL` was set."""
    summary: dict[str, Any] = field(default_factory=dict)
    """The warehouse summary row (also useful without a warehouse)."""
    event_rows: list[dict[str, Any]] = field(default_factory=list)
    """The lifecycle event rows (also useful without a warehouse)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "report_id": self.report.report_id,
            "project": self.report.project,
            "rdf": str(self.rdf_path),
            "datahub": str(self.datahub_path),
            "triples": self.triples,
            "datasets": self.datasets,
            "events": self.events,
            "mcps": self.mcps,
            "gms_emitted": self.gms_emitted,
            "warehouse_report_id": self.warehouse_report_id,
            "unmapped_terms": [t.model_dump() for t in self.report.unmapped_terms],
            "notes": list(self.report.notes),
        }


def steward_rdf_path(project: str, data_dir: Path | None = None) -> Path:
    base = Path(data_dir) if data_dir is not None else settings.data_dir()
    return base / "semantics" / "steward" / f"{re.sub(r'[^A-Za-z0-9._-]', '_', project)}.ttl"


def run_steward(project_dir: Path, data_dir: Path | None = None, warehouse: StewardWarehouse | None = None, *,
                gms_token: str | None = None, thread_id: str = "") -> StewardRunResult:
    """Scan `project_dir` and write every output; SHACL validation happens before anything is written.

    Order: scan (errors here write nothing) → RDF validated → RDF file + semantic graph (named graph per
    project, replaced) → DataHub JSON (+ GMS when `FRACTALOPS_DATAHUB_GMS_URL` is set) → warehouse rows.
    """
    base = Path(data_dir) if data_dir is not None else settings.data_dir()
    semantics = open_semantics(base)
    report = scan_project(Path(project_dir), semantics=semantics)
    graph = report.to_graph()
    require_valid(graph, f"steward report {report.report_id} of {report.project}")
    impact = report.impact_paths(graph)
    turtle = graph.serialize(format="turtle")
    rdf_path = steward_rdf_path(report.project, base)
    atomic_write_text(rdf_path, turtle)
    semantics.merge(graph, context=steward_graph_iri(report.project), replace=True,
                    where=f"steward report {report.report_id}")
    dh_path, mcps = write_mcps(report, base)
    emitted = None
    url = gms_url()
    if url:
        emitted = emit_to_gms(mcps, url, token=gms_token)
    sha = hashlib.sha256(turtle.encode()).hexdigest()
    summary, events = report.warehouse_rows(
        triples=len(graph), rdf_sha256=sha, datahub_path=str(dh_path),
        impact_paths=sum(len(p) for p in impact.values()), thread_id=thread_id,
    )
    wh_id = None
    if warehouse is not None:
        try:
            wh_id = warehouse.record_steward_report(summary)
            warehouse.insert_events(events)
        except FractalOpsError:
            raise
        except Exception as exc:  # a warehouse backend error must name where it happened
            raise SemanticsError(f"steward report {report.report_id}: warehouse write failed: {exc}") from exc
    return StewardRunResult(
        report=report, rdf_path=rdf_path, datahub_path=dh_path, triples=len(graph), datasets=len(report.datasets),
        events=len(events), mcps=len(mcps), rdf_sha256=sha, warehouse_report_id=wh_id, gms_emitted=emitted,
        summary=summary, event_rows=events,
    )
