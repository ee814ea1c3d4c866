"""Telemetry plane: PostHog events and OTel spans and log records, classified into the global ontology.

    from fractalops.planes.telemetry import TelemetryIntake, Source
    intake = TelemetryIntake(data_dir, warehouse=get_warehouse, artifacts=lambda: store, semantics=semantics)
    outcome = intake.posthog(body, encoding="gzip")              # a /batch/ body; its project key picks the project
    outcome, media = intake.otlp(Source.OTEL_TRACES, "shop", body, encoding="gzip", content_type=otlp.PROTOBUF)
    intake.store.stats()                                         # {"posthog": {"received", "stored", ...}, ...}
    intake.replay()                                              # after a mapping for a quarantined name applied

Path: intake → validate → classify (`classify.Classifier`, rules from the semantics plane) → one batched insert
into the warehouse's `events` (the server is the single writer of the embedded chdb). Unknown or malformed items go
to the warehouse's `quarantine` table with their reason, their raw bytes to the evidence WORM store. Counts,
idempotency (by PostHog uuid, by trace id + span id) and the quarantine index are the intake's own books
(`store.TelemetryStore`). Bodies are bounded after decompression (`body.max_body_bytes()`). Metrics are forwarded
to Mimir (`metrics.forward_metrics`), never stored here. No Starlette here: the routes are `server.telemetry_routes`.
"""

from fractalops.planes.telemetry.body import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_BODY_ENV,
    decompressed,
    max_body_bytes,
    wire_cap,
)
from fractalops.planes.telemetry.classify import MALFORMED, UNKNOWN, Classifier, Rules, Verdict, builtin_rules
from fractalops.planes.telemetry.intake import ReplayResult, TelemetryIntake
from fractalops.planes.telemetry.metrics import METRICS_URL_ENV, Forwarded, forward_metrics, metrics_url
from fractalops.planes.telemetry.model import (
    COUNT_FIELDS,
    Candidate,
    Counts,
    IntakeOutcome,
    QuarantineItemJSON,
    Source,
)
from fractalops.planes.telemetry.project_keys import POSTHOG_KEYS_ENV, posthog_projects, project_for_key
from fractalops.planes.telemetry.store import QuarantineRow, TelemetryStore, store_path

__all__ = [
    "TelemetryIntake",
    "ReplayResult",
    "TelemetryStore",
    "QuarantineRow",
    "store_path",
    "Source",
    "COUNT_FIELDS",
    "Counts",
    "Candidate",
    "IntakeOutcome",
    "QuarantineItemJSON",
    "Classifier",
    "Rules",
    "Verdict",
    "builtin_rules",
    "UNKNOWN",
    "MALFORMED",
    "MAX_BODY_ENV",
    "DEFAULT_MAX_BODY_BYTES",
    "max_body_bytes",
    "decompressed",
    "wire_cap",
    "METRICS_URL_ENV",
    "Forwarded",
    "forward_metrics",
    "metrics_url",
    "POSTHOG_KEYS_ENV",
    "posthog_projects",
    "project_for_key",
]
