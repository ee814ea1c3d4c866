from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from fractalops.planes.warehouse import (
    MIGRATIONS,
    Event,
    Fact,
    ProofFact,
    StewardReportRow,
    expand_ontology_id,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("fo:PageView", "https://fractalops.dev/ontology#PageView"),
        ("https://fractalops.dev/ontology#Dataset", "https://fractalops.dev/ontology#Dataset"),
        ("prov:Activity", "http://www.w3.org/ns/prov#Activity"),
        ("skos:Concept", "http://www.w3.org/2004/02/skos/core#Concept"),
    ],
)
def test_global_ontology_ids_are_expanded(given: str, expected: str) -> None:
    assert expand_ontology_id(given) == expected


@pytest.mark.parametrize(
    "bad", ["page_view", "local:PageView", "acme:Thing", "https://acme.example/onto#Thing", "fo:", "fo:has space", ""]
)
def test_local_or_malformed_ontology_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="ontology_id"):
        expand_ontology_id(bad)


def test_event_defaults_and_deterministic_id() -> None:
    ts = datetime(2026, 1, 2, 3, 4, 5)
    row = {"ontology_id": "fo:PageView", "project": "p", "source": "posthog", "ts": ts, "attrs": {"b": 1, "a": 2}}
    first, second = Event.model_validate(row), Event.model_validate(dict(row))
    assert first.event_id == second.event_id != ""
    assert first.ts == ts.replace(tzinfo=UTC)
    assert first.attrs == '{"a":2,"b":1}'
    assert Event.model_validate({**row, "attrs": {"b": 2}}).event_id != first.event_id


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({"project": "p", "source": "s"}, "ontology_id"),
        ({"ontology_id": "fo:X", "source": "s"}, "project"),
        ({"ontology_id": "fo:X", "project": "p", "source": "s", "attrs": [1, 2]}, "attrs"),
        ({"ontology_id": "fo:X", "project": "p", "source": "s", "attrs": "not json"}, "attrs"),
        ({"ontology_id": "fo:X", "project": "p", "source": "s", "attrs": {"x": object()}}, "attrs"),
        ({"ontology_id": "fo:X", "project": "p", "source": "s", "ts": "yesterday"}, "ts"),
        ({"ontology_id": "fo:X", "project": "p", "source": "s", "colour": "red"}, "colour"),
    ],
)
def test_event_rejections_name_the_field(row: dict, where: str) -> None:
    with pytest.raises(ValidationError) as info:
        Event.model_validate(row)
    assert where in {str(loc) for err in info.value.errors() for loc in err["loc"]}


def test_fact_and_proof_fact_ids() -> None:
    fact = Fact(kind="change_applied", subject="prop-1", project="p", ontology_id="fo:Change")
    assert fact.fact_id and fact.ontology_id.endswith("#Change")
    args = dict(thread_id="t", proposal_id="p1", content_hash="sha256:ab", commit="c0ffee",
                graph_iri="https://fractalops.dev/id/p1", chronicle_ref="chronicle:7")
    assert ProofFact(**args).fact_id == ProofFact(**args, attrs={"x": 1}).fact_id
    assert ProofFact(**args).fact_id != ProofFact(**{**args, "commit": "other"}).fact_id
    with pytest.raises(ValidationError):
        ProofFact(**{**args, "commit": ""})


def test_steward_report_folds_counts_and_extras_into_attrs() -> None:
    row = StewardReportRow.model_validate(
        {"project": "shop", "counts": {"datasets": 3, "owners": 2, "rows": 9}, "rdf_sha256": "ab", "notes": "n"}
    )
    assert (row.datasets, row.owners, row.schema_fields) == (3, 2, 0)
    assert row.attrs == '{"counts":{"rows":9},"notes":"n"}'
    assert row.report_id == StewardReportRow.model_validate({"project": "shop", "rdf_sha256": "ab"}).report_id
    with pytest.raises(ValidationError):
        StewardReportRow.model_validate({"project": "shop", "datasets": -1})


def test_migration_versions_strictly_increase_from_one() -> None:
    versions = [m.version for m in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    assert len({m.checksum for m in MIGRATIONS}) == len(MIGRATIONS)
