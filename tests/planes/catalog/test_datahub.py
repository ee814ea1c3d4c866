from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fractalops.errors import CatalogError
from fractalops.planes.catalog import (
    ASPECT_NAMES,
    build_mcps,
    datahub_path,
    dataset_urn,
    owner_urn,
    validate_mcps,
    write_mcps,
)
from fractalops.planes.steward import StewardReport, scan_project, write_sample_project

FIXTURES = Path(__file__).parent / "fixtures"
FIXED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def report(tmp_path: Path) -> StewardReport:
    scanned = scan_project(write_sample_project(tmp_path / "proj", datasets=8))
    return scanned.model_copy(update={"started_at": FIXED, "completed_at": FIXED})


def test_mcps_match_the_acryl_datahub_round_trip(report: StewardReport) -> None:
    # The fixture is acryl-datahub 1.7's MetadataChangeProposalWrapper.from_obj(...).to_obj(simplified_structure=True)
    # of this very report: equality means DataHub's own classes parse and re-emit our JSON unchanged.
    expected = json.loads((FIXTURES / "acryl_roundtrip_mcps.json").read_text())
    assert build_mcps(report) == expected


def test_mcp_shapes(report: StewardReport) -> None:
    mcps = build_mcps(report)
    assert {m["aspectName"] for m in mcps} == set(ASPECT_NAMES)
    for m in mcps:
        assert m["entityType"] == "dataset" and m["changeType"] == "UPSERT"
        assert m["entityUrn"].startswith("urn:li:dataset:(urn:li:dataPlatform:")
        assert set(m["aspect"]) == {"json"}
    view = dataset_urn("postgres", "shop.revenue_view_0")
    lineage = next(m for m in mcps if m["entityUrn"] == view and m["aspectName"] == "upstreamLineage")
    ups = {(u["dataset"], u["type"]) for u in lineage["aspect"]["json"]["upstreams"]}
    assert ups == {(dataset_urn("postgres", "shop.orders_0"), "VIEW"), (dataset_urn("postgres", "shop.customers_1"), "VIEW")}
    schema = next(m for m in mcps if m["entityUrn"] == dataset_urn("file", "shop.events_0")
                  and m["aspectName"] == "schemaMetadata")
    types = {f["fieldPath"]: next(iter(f["type"]["type"])) for f in schema["aspect"]["json"]["fields"]}
    assert types["event_id"] == "com.linkedin.schema.NumberType"
    assert types["happened_at"] == "com.linkedin.schema.TimeType"
    assert types["is_test"] == "com.linkedin.schema.BooleanType"
    owners = next(m for m in mcps if m["entityUrn"] == view and m["aspectName"] == "ownership")
    assert owners["aspect"]["json"]["owners"] == [{"owner": "urn:li:corpGroup:analytics", "type": "DATAOWNER"}]
    assert owner_urn("a@b.c") == "urn:li:corpuser:a@b.c"


def test_validate_mcps_rejects_bad_shapes(report: StewardReport) -> None:
    good = build_mcps(report)
    bad_cases = [
        [{**good[0], "changeType": "DELETE"}],
        [{**good[0], "entityUrn": "urn:li:dataset:orders"}],
        [{**good[0], "aspectName": "status"}],
        [{**good[0], "aspect": {"value": "{}", "contentType": "application/json"}}],
        [{k: v for k, v in good[0].items() if k != "entityType"}],
    ]
    for case in bad_cases:
        with pytest.raises(CatalogError):
            validate_mcps(case)


def test_write_mcps_writes_the_documented_path(report: StewardReport, tmp_path: Path) -> None:
    path, mcps = write_mcps(report, tmp_path / "data")
    assert path == tmp_path / "data" / "catalog" / "datahub" / f"shop-{report.report_id}.json"
    assert path == datahub_path("shop", report.report_id, tmp_path / "data")
    assert json.loads(path.read_text()) == mcps
