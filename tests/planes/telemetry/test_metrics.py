"""Metrics go to Mimir's OTLP endpoint as they came, with the project as tenant and never the sender's key."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from fractalops.errors import TelemetryBodyError
from fractalops.planes.telemetry import forward_metrics, metrics_url
from tests.planes.telemetry._receiver import MetricsReceiver


def test_the_body_is_forwarded_as_it_came() -> None:
    body = gzip.compress(b"\x0a\x00" * 100)
    with MetricsReceiver() as mimir:
        answer = asyncio.run(forward_metrics(mimir.url, body, project="shop", content_type="application/x-protobuf",
                                             encoding="gzip"))
    assert answer.status == 200
    (got,) = mimir.received
    assert got.path == "/otlp/v1/metrics" and got.body == body
    assert got.headers["content-encoding"] == "gzip" and got.headers["x-scope-orgid"] == "shop"
    assert "x-api-key" not in got.headers


def test_the_backends_answer_is_passed_back() -> None:
    with MetricsReceiver(status=429) as mimir:
        answer = asyncio.run(forward_metrics(mimir.url, b"", project="shop", content_type="", encoding=""))
    assert answer.status == 429


def test_a_bomb_is_refused_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_TELEMETRY_MAX_BODY", "1000")
    with MetricsReceiver() as mimir, pytest.raises(TelemetryBodyError) as caught:
        asyncio.run(forward_metrics(mimir.url, gzip.compress(b"\0" * 5000), project="shop",
                                    content_type="application/x-protobuf", encoding="gzip"))
    assert caught.value.status == 413 and mimir.received == []


def test_no_url_means_no_metrics_intake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRACTALOPS_METRICS_OTLP_URL", raising=False)
    assert metrics_url() is None
    monkeypatch.setenv("FRACTALOPS_METRICS_OTLP_URL", " http://mimir:9009/otlp/v1/metrics ")
    assert metrics_url() == "http://mimir:9009/otlp/v1/metrics"
