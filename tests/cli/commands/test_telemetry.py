"""`fractalops telemetry stats | quarantine | quarantine show | replay-quarantine | map` through the server."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.server

FIELDS = {"received", "stored", "quarantined", "duplicates", "refused"}


def _spans(*names: str) -> dict:
    """OTLP JSON: one HTTP server span, then one unconventional span per name."""
    def span(i: int, name: str, attrs: list) -> dict:
        return {"traceId": f"{i + 1:032x}", "spanId": f"{i + 1:016x}", "name": name, "kind": 1,
                "startTimeUnixNano": "1767225600000000000", "endTimeUnixNano": "1767225601000000000",
                "attributes": attrs}
    items = [span(0, "GET /", [{"key": "http.request.method", "value": {"stringValue": "GET"}}])]
    items += [span(i + 1, n, []) for i, n in enumerate(names)]
    return {"resourceSpans": [{"scopeSpans": [{"spans": items}]}]}


def test_stats_quarantine_show_map_and_replay(server, cli) -> None:
    sent = httpx.post(f"{server.url}/v1/traces", json=_spans("nightly-rollup", "nightly-rollup-b"),
                      headers={"x-api-key": "key-tele"})
    assert sent.status_code == 200 and sent.json()["partialSuccess"]["rejectedSpans"] == "2"

    stats = cli("telemetry", "stats", "--json", key="key-alice", url=server.url)
    assert stats.code == 0 and set(stats.json()) == {"posthog", "otel_traces", "otel_logs"}
    assert all(set(counts) == FIELDS for counts in stats.json().values())
    traces = stats.json()["otel_traces"]
    assert traces["received"] == traces["stored"] + traces["quarantined"] and traces["quarantined"] >= 2
    table = cli("telemetry", "stats").stdout.splitlines()
    assert table[0] == "telemetry intake:"
    assert table[1].split() == ["source", "received", "stored", "quarantined", "duplicates", "refused"]

    listed = cli("telemetry", "quarantine", "--source", "otel_traces", "--project", "shop", "--json")
    assert listed.code == 0 and listed.json()["next"] is None
    items = [i for i in listed.json()["items"] if "'nightly-rollup'" in i["reason"]]
    assert len(items) == 1 and set(items[0]) == {"source", "reason", "received_at", "raw_ref"}
    page = cli("telemetry", "quarantine", "--limit", "1", "--json").json()
    assert len(page["items"]) == 1 and page["next"]
    shown = cli("telemetry", "quarantine", "show", items[0]["raw_ref"])
    span = json.loads(shown.stdout)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert shown.code == 0 and span["name"] == "nightly-rollup" and span["spanId"] == f"{2:016x}"
    missing = cli("telemetry", "quarantine", "show", "sha256:" + "e" * 64, "--json")
    assert missing.code == 1 and missing.json()["error_type"] == "NotFound"

    proposed = cli("telemetry", "map", "--project", "shop", "nightly-rollup=fo:InternalSpan", "--json")
    assert proposed.code == 0, proposed.stdout
    doc = proposed.json()
    assert doc["waiting"] is True and [p["local_term"] for p in doc["proposals"]] == ["nightly-rollup"]
    assert cli("approve", doc["thread_id"], "--json").json()["waiting"] is False
    replayed = cli("telemetry", "replay-quarantine", "--source", "otel_traces", "--json").json()
    assert replayed["classified"] == 1 and replayed["stats"]["otel_traces"]["stored"] == traces["stored"] + 1
    human = cli("telemetry", "replay-quarantine").stdout
    assert "0 classified into the warehouse" in human


def test_bad_map_arguments_and_other_roles(server, cli) -> None:
    bad = cli("telemetry", "map", "no-equals-sign", "--project", "shop", "--json", key="key-alice", url=server.url)
    assert bad.code == 1 and "NAME=TERM" in bad.json()["error"]
    orphan = cli("telemetry", "map", "x=fo:Purchase", "--json")
    assert orphan.code == 1 and "--project" in orphan.json()["error"]
    unknown_term = cli("telemetry", "map", "--project", "shop", "x=fo:NoSuchTerm", "--json")
    assert unknown_term.code == 1 and "not a global domain term" in unknown_term.json()["error"]
    for key in ("key-bob", "key-tele"):
        refused = cli("telemetry", "stats", "--json", key=key)
        assert refused.code == 1 and refused.json()["error_type"] == "Forbidden"
