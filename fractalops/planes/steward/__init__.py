"""RDF steward: scans a project's datasets (CSV, Parquet, SQL DDL) with owners and domain terms, and turns
them into RDF (semantic graph), DataHub MCPs (catalog) and warehouse rows."""

from fractalops.planes.steward.report import (
    LIFECYCLE_EVENTS,
    DatasetRecord,
    LocalTermRecord,
    SchemaFieldRecord,
    StewardReport,
    UnmappedTerm,
)
from fractalops.planes.steward.run import StewardRunResult, StewardWarehouse, run_steward, steward_rdf_path
from fractalops.planes.steward.sample import write_sample_project
from fractalops.planes.steward.scan import scan_project

__all__ = [
    "LIFECYCLE_EVENTS",
    "DatasetRecord",
    "LocalTermRecord",
    "SchemaFieldRecord",
    "StewardReport",
    "StewardRunResult",
    "StewardWarehouse",
    "UnmappedTerm",
    "run_steward",
    "scan_project",
    "steward_rdf_path",
    "write_sample_project",
]
