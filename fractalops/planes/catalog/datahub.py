"""DataHub metadata change proposals (MCPs) for a steward report, in the JSON that `datahub ingest`'s `file`
source reads: a list of `{"entityType", "entityUrn", "changeType": "UPSERT", "aspectName", "aspect": {"json": ...}}`.

DataHub is a catalog for search, lineage discovery and impact navigation; it cannot close proof by itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from fractalops import settings
from fractalops.errors import CatalogError
from fractalops.planes._atomic import atomic_write_text

if TYPE_CHECKING:
    from fractalops.planes.steward.report import DatasetRecord, StewardReport

__all__ = [
    "MCP",
    "ASPECT_NAMES",
    "dataset_urn",
    "owner_urn",
    "glossary_term_urn",
    "build_mcps",
    "validate_mcps",
    "datahub_path",
    "write_mcps",
]

ASPECT_NAMES = ("datasetProperties", "schemaMetadata", "ownership", "glossaryTerms", "upstreamLineage")
"""The dataset aspects this catalog writes."""
ENV = "PROD"
_ACTOR = "urn:li:corpuser:fractalops"
_URN = re.compile(r"^urn:li:dataset:\(urn:li:dataPlatform:[A-Za-z0-9_.\-]+,[^,()]+,[A-Z]+\)$")
_SCHEMA = "com.linkedin.schema."


class MCP(TypedDict):
    """One metadata change proposal, file-source shape (`aspect.json` is the aspect document)."""

    entityType: str
    entityUrn: str
    changeType: str
    aspectName: str
    aspect: dict[str, Any]


def dataset_urn(platform: str, name: str, env: str = ENV) -> str:
    """`urn:li:dataset:(urn:li:dataPlatform:<platform>,<name>,<ENV>)`."""
    if not platform or not name or any(c in name for c in ",()"):
        raise CatalogError(f"cannot build a DataHub dataset urn from platform={platform!r} name={name!r}")
    return f"urn:li:dataset:(urn:li:dataPlatform:{platform},{name},{env})"


def owner_urn(owner: str) -> str:
    """`team:x`/`group:x` → corpGroup, anything else → corpuser."""
    for prefix in ("team:", "group:"):
        if owner.startswith(prefix):
            return f"urn:li:corpGroup:{owner[len(prefix):]}"
    return f"urn:li:corpuser:{owner}"


def glossary_term_urn(global_iri: str) -> str:
    """A global ontology term IRI → `urn:li:glossaryTerm:fractalops.<LocalName>`."""
    local = re.split(r"[#/]", global_iri)[-1]
    return f"urn:li:glossaryTerm:fractalops.{local}"


def _field_type(logical: str) -> str:
    t = logical.lower()
    if re.search(r"bool", t):
        return "BooleanType"
    if re.search(r"int|double|float|real|numeric|decimal|number|serial|money", t):
        return "NumberType"
    if re.search(r"timestamp|datetime|time", t):
        return "TimeType"
    if re.search(r"date", t):
        return "DateType"
    if re.search(r"char|text|string|uuid|json|enum|clob", t):
        return "StringType"
    if re.search(r"binary|blob|bytea|bytes", t):
        return "BytesType"
    return "NullType"


def _stamp(ms: int) -> dict[str, Any]:
    return {"time": ms, "actor": _ACTOR}


def _mcp(urn: str, aspect_name: str, aspect: dict[str, Any]) -> MCP:
    return MCP(entityType="dataset", entityUrn=urn, changeType="UPSERT", aspectName=aspect_name,
               aspect={"json": aspect})


def _dataset_mcps(report: StewardReport, ds: DatasetRecord, urns: dict[str, str], ms: int) -> list[MCP]:
    urn = urns[ds.name]
    props: dict[str, Any] = {
        "customProperties": {
            "fractalops.project": report.project,
            "fractalops.kind": ds.kind,
            "fractalops.ontology_iri": report.dataset_iri(ds.name),
            "fractalops.steward_report": report.report_id,
            **({"fractalops.source": ds.source} if ds.source else {}),
        },
        "name": ds.name,
        "tags": [],
    }
    if ds.description:
        props["description"] = ds.description
    out = [_mcp(urn, "datasetProperties", props)]
    if ds.fields:
        fields = []
        for f in ds.fields:
            entry: dict[str, Any] = {
                "fieldPath": f.name,
                "nullable": f.nullable,
                "type": {"type": {_SCHEMA + _field_type(f.native_type or f.type): {}}},
                "nativeDataType": f.native_type or f.type,
                "recursive": False,
                "isPartOfKey": f.primary_key,
            }
            if f.terms:
                entry["glossaryTerms"] = {"terms": [{"urn": glossary_term_urn(t)} for t in f.terms],
                                          "auditStamp": _stamp(ms)}
            fields.append(entry)
        out.append(_mcp(urn, "schemaMetadata", {
            "schemaName": ds.name,
            "platform": f"urn:li:dataPlatform:{ds.platform}",
            "version": 0,
            "created": _stamp(ms),
            "lastModified": _stamp(ms),
            "hash": "",
            "platformSchema": {_SCHEMA + "OtherSchema": {"rawSchema": ""}},
            "fields": fields,
        }))
    if ds.owners:
        out.append(_mcp(urn, "ownership", {
            "owners": [{"owner": owner_urn(o), "type": "DATAOWNER"} for o in ds.owners],
            "ownerTypes": {},
            "lastModified": _stamp(ms),
        }))
    if ds.terms:
        out.append(_mcp(urn, "glossaryTerms", {
            "terms": [{"urn": glossary_term_urn(t)} for t in ds.terms],
            "auditStamp": _stamp(ms),
        }))
    if ds.upstreams:
        out.append(_mcp(urn, "upstreamLineage", {
            "upstreams": [{"auditStamp": _stamp(ms), "dataset": urns[u], "type": "VIEW" if ds.kind == "view"
                           else "TRANSFORMED"} for u in ds.upstreams],
        }))
    return out


def build_mcps(report: StewardReport) -> list[MCP]:
    """Every dataset of `report` as MCPs (datasetProperties, schemaMetadata, ownership, glossaryTerms,
    upstreamLineage — only the aspects that have content). Validated before it is returned."""
    urns = {ds.name: dataset_urn(ds.platform, f"{report.project}.{ds.name}") for ds in report.datasets}
    ms = int(report.completed_at.timestamp() * 1000)
    mcps = [m for ds in report.datasets for m in _dataset_mcps(report, ds, urns, ms)]
    validate_mcps(mcps)
    return mcps


_REQUIRED: dict[str, tuple[str, ...]] = {
    "datasetProperties": ("customProperties", "name"),
    "schemaMetadata": ("schemaName", "platform", "version", "hash", "platformSchema", "fields"),
    "ownership": ("owners",),
    "glossaryTerms": ("terms", "auditStamp"),
    "upstreamLineage": ("upstreams",),
}


def validate_mcps(mcps: list[Any]) -> None:
    """Check the documented file-source shape; raises `CatalogError` naming the first bad entry."""
    if not isinstance(mcps, list):
        raise CatalogError("DataHub MCP file must hold a JSON list")
    for i, m in enumerate(mcps):
        where = f"MCP #{i}"
        if not isinstance(m, dict) or set(m) != {"entityType", "entityUrn", "changeType", "aspectName", "aspect"}:
            raise CatalogError(f"{where}: needs exactly entityType, entityUrn, changeType, aspectName, aspect")
        if m["entityType"] != "dataset" or m["changeType"] != "UPSERT":
            raise CatalogError(f"{where}: entityType must be 'dataset' and changeType 'UPSERT'")
        if not _URN.match(str(m["entityUrn"])):
            raise CatalogError(f"{where}: malformed dataset urn {m['entityUrn']!r}")
        name = m["aspectName"]
        if name not in ASPECT_NAMES:
            raise CatalogError(f"{where}: aspectName {name!r} is not one of {', '.join(ASPECT_NAMES)}")
        aspect = m["aspect"]
        if not isinstance(aspect, dict) or set(aspect) != {"json"} or not isinstance(aspect["json"], dict):
            raise CatalogError(f"{where}: aspect must be {{'json': {{...}}}}")
        missing = [k for k in _REQUIRED[name] if k not in aspect["json"]]
        if missing:
            raise CatalogError(f"{where}: {name} aspect lacks {', '.join(missing)}")
        body = aspect["json"]
        if name == "upstreamLineage":
            for up in body["upstreams"]:
                if not _URN.match(str(up.get("dataset", ""))) or up.get("type") not in ("VIEW", "TRANSFORMED", "COPY"):
                    raise CatalogError(f"{where}: upstream {up!r} needs a dataset urn and type VIEW/TRANSFORMED/COPY")
        if name == "schemaMetadata":
            for f in body["fields"]:
                if not {"fieldPath", "type", "nativeDataType"} <= set(f):
                    raise CatalogError(f"{where}: schema field {f!r} needs fieldPath, type, nativeDataType")
        if name == "ownership":
            for o in body["owners"]:
                if not str(o.get("owner", "")).startswith(("urn:li:corpuser:", "urn:li:corpGroup:")) or not o.get("type"):
                    raise CatalogError(f"{where}: owner {o!r} needs a corpuser/corpGroup urn and a type")


def datahub_path(project: str, report_id: str, data_dir: Path | None = None) -> Path:
    """`<data dir>/catalog/datahub/<project>-<report_id>.json`."""
    base = Path(data_dir) if data_dir is not None else settings.data_dir()
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", project)
    return base / "catalog" / "datahub" / f"{safe}-{report_id}.json"


def write_mcps(report: StewardReport, data_dir: Path | None = None) -> tuple[Path, list[MCP]]:
    """Build, validate and atomically write the report's MCP file; returns (path, mcps)."""
    mcps = build_mcps(report)
    path = datahub_path(report.project, report.report_id, data_dir)
    atomic_write_text(path, json.dumps(mcps) + "\n")
    return path, mcps
