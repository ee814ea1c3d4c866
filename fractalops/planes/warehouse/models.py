"""Validated warehouse rows: what may land in `events`, `facts`, `steward_reports` and `proof_facts`.

Ontology ids are global: a full IRI in one of `GLOBAL_NAMESPACES` or a CURIE with one of their prefixes
(stored expanded to the full IRI, so every project writes the same concept id). Project-local terms must be
mapped to the global ontology (semantics plane) before their events may land here.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "GLOBAL_NAMESPACES",
    "ID_NAMESPACE",
    "Event",
    "Fact",
    "ProofFact",
    "ChronicleWitnessRow",
    "StewardReportRow",
    "expand_ontology_id",
    "attrs_json",
    "stable_id",
]

GLOBAL_NAMESPACES: dict[str, str] = {
    "fo": "https://fractalops.dev/ontology#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
}
"""Prefix → namespace of the shared global ontology (the semantics plane's `fo:` plus the W3C vocabularies)."""

ID_NAMESPACE = uuid.UUID("7b0e4c2a-5d1f-4f3e-9a51-0f6a2c1d9e10")
"""uuid5 namespace for deterministic warehouse ids (same content → same id → no double count)."""

_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@lru_cache(maxsize=4096)
def expand_ontology_id(value: str) -> str:
    """Return the full global IRI for `value` or raise ValueError saying why it is not global."""
    text = value.strip()
    for prefix, namespace in GLOBAL_NAMESPACES.items():
        if text.startswith(namespace):
            local = text[len(namespace):]
            break
        if text.startswith(prefix + ":") and not text.startswith(prefix + "://"):
            local = text[len(prefix) + 1:]
            break
    else:
        known = ", ".join(f"{p}: <{ns}>" for p, ns in GLOBAL_NAMESPACES.items())
        raise ValueError(
            f"ontology_id {value!r} is not a global ontology id; use a CURIE or IRI in {known} "
            f"(map project-local terms to the global ontology first)"
        )
    if not _LOCAL_NAME.match(local):
        raise ValueError(f"ontology_id {value!r} has no valid local name after its namespace")
    return namespace + local


def attrs_json(attrs: Any) -> str:
    """Canonical JSON text for an attrs mapping (sorted keys, compact); raises ValueError if not JSON."""
    if attrs is None:
        return "{}"
    if isinstance(attrs, str):
        try:
            parsed = json.loads(attrs)
        except ValueError as exc:
            raise ValueError(f"attrs is a string but not JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise ValueError(f"attrs must be a JSON object, got JSON {type(parsed).__name__}")
        return attrs
    if not isinstance(attrs, dict):
        raise ValueError(f"attrs must be a JSON object (dict), got {type(attrs).__name__}")
    try:
        return orjson.dumps(attrs, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        raise ValueError(f"attrs is not JSON-serializable: {exc}") from None


def stable_id(*parts: object) -> str:
    """Deterministic id (uuid5) over the given parts."""
    return str(uuid.uuid5(ID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


_TS_MIN = datetime(1970, 1, 1, tzinfo=UTC)
_TS_MAX = datetime(2299, 12, 31, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    # Outside DateTime64's range the whole insert batch would fail; refuse the one row instead.
    if not _TS_MIN <= value <= _TS_MAX:
        raise ValueError(f"ts {value.isoformat()} is outside the warehouse range 1970-01-01 .. 2299-12-31")
    return value


def _now() -> datetime:
    return datetime.now(UTC)


GlobalOntologyId = Annotated[str, AfterValidator(expand_ontology_id)]
UtcTimestamp = Annotated[datetime, AfterValidator(_utc)]
NonEmpty = Annotated[str, Field(min_length=1, max_length=4096)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("attrs", mode="before", check_fields=False)
    @classmethod
    def _attrs_to_json(cls, value: Any) -> str:
        return attrs_json(value)


class Event(_Row):
    """One normalized event (telemetry, steward lifecycle, agent step) under a global concept id."""

    event_id: str = ""
    """Unique within a project; empty → derived from the content, so an identical replay dedupes."""
    ts: UtcTimestamp = Field(default_factory=_now)
    """When it happened (naive timestamps are read as UTC)."""
    ontology_id: GlobalOntologyId
    """Global ontology IRI or CURIE (`fo:PageView`); stored expanded to the full IRI."""
    project: NonEmpty
    """Project the event belongs to."""
    source: NonEmpty
    """Producer: `posthog`, `otel`, `steward`, `agent`, ..."""
    trace_id: str = ""
    """OTel trace id, if any."""
    session_id: str = ""
    """PostHog/browser session id, if any."""
    thread_id: str = ""
    """LangGraph thread id, if any."""
    attrs: str = "{}"
    """Project-local detail as a JSON object (dict in, canonical JSON text stored)."""

    @model_validator(mode="after")
    def _derive_id(self) -> Event:
        if not self.event_id:
            derived = stable_id("event", self.project, self.source, self.ontology_id, self.ts.isoformat(),
                                self.trace_id, self.session_id, self.thread_id, self.attrs)
            object.__setattr__(self, "event_id", derived)
        return self


class Fact(_Row):
    """One warehouse fact: a statement about a subject, e.g. a dataset's row count or an applied change."""

    fact_id: str = ""
    """Unique within (project, kind); empty → derived from the content."""
    ts: UtcTimestamp = Field(default_factory=_now)
    """When the fact was observed."""
    kind: NonEmpty
    """Fact family, e.g. `change_applied`, `dataset_profile`."""
    subject: NonEmpty
    """What the fact is about (an IRI, a dataset name, a proposal id)."""
    project: NonEmpty
    """Project the fact belongs to."""
    thread_id: str = ""
    """LangGraph thread id, if any."""
    ontology_id: GlobalOntologyId
    """Global concept id of the fact's kind."""
    attrs: str = "{}"
    """Detail as a JSON object."""

    @model_validator(mode="after")
    def _derive_id(self) -> Fact:
        if not self.fact_id:
            derived = stable_id("fact", self.project, self.kind, self.subject, self.ts.isoformat(),
                                self.thread_id, self.ontology_id, self.attrs)
            object.__setattr__(self, "fact_id", derived)
        return self


class ProofFact(_Row):
    """The warehouse part of a proof path: one applied proposal's identity, commit and provenance refs."""

    fact_id: str = ""
    """Deterministic over the other identity fields, so recording the same proof twice is one fact."""
    ts: UtcTimestamp = Field(default_factory=_now)
    """When the proof fact was recorded."""
    thread_id: NonEmpty
    """LangGraph thread that applied the proposal."""
    proposal_id: NonEmpty
    """Proposal Plane id."""
    content_hash: NonEmpty
    """Content hash the approval was bound to."""
    commit: NonEmpty
    """Commit (or apply receipt) the change landed as."""
    graph_iri: NonEmpty
    """The proposal's global IRI in the semantic graph."""
    chronicle_ref: NonEmpty
    """Chronicle evidence entry ref."""
    attrs: str = "{}"
    """Extra detail as a JSON object."""

    @model_validator(mode="after")
    def _derive_id(self) -> ProofFact:
        if not self.fact_id:
            derived = stable_id("proof", self.thread_id, self.proposal_id, self.content_hash, self.commit,
                                self.graph_iri, self.chronicle_ref)
            object.__setattr__(self, "fact_id", derived)
        return self


_HEX64 = r"^[0-9a-f]{64}$"


class ChronicleWitnessRow(_Row):
    """A signed Chronicle checkpoint as the warehouse witnesses it: a rollback of the log must also rewrite this."""

    witness_id: str = ""
    """Deterministic over the checkpoint's identity, so witnessing the same checkpoint twice is one row."""
    ts: UtcTimestamp = Field(default_factory=_now)
    """When the witness was recorded."""
    log: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    """Chronicle log name."""
    size: int = Field(ge=0, le=2**64 - 1)
    """Tree size the checkpoint signed."""
    root: Annotated[str, Field(pattern=_HEX64)]
    """Lowercase hex root hash at that size."""
    key_id: Annotated[str, Field(pattern=_HEX64)]
    """SHA-256 (hex) of the raw Ed25519 public key that signed it."""
    timestamp: int = Field(ge=0, le=2**64 - 1)
    """The checkpoint's signing time, milliseconds since the epoch."""
    signature: Annotated[str, Field(pattern=r"^[0-9a-f]{128}$")]
    """The checkpoint's Ed25519 signature, lowercase hex."""

    @model_validator(mode="after")
    def _derive_id(self) -> ChronicleWitnessRow:
        if not self.witness_id:
            derived = stable_id("chronicle_witness", self.log, self.size, self.root, self.key_id, self.timestamp)
            object.__setattr__(self, "witness_id", derived)
        return self


_UINT32_MAX = 2**32 - 1
_COUNT_FIELDS = ("datasets", "schema_fields", "owners", "domain_terms", "lineage_edges", "impact_paths", "triples")


class StewardReportRow(_Row):
    """Summary of one RDF steward report (the DataHub-bound report's warehouse twin).

    Unknown keys of the incoming report dict are kept in `attrs`; counts may also arrive nested in `counts`.
    """

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, frozen=True)

    report_id: str = ""
    """Steward report id; empty → derived from project and rdf_sha256."""
    ts: UtcTimestamp = Field(default_factory=_now)
    """When the report was produced."""
    project: NonEmpty
    """Reporting project."""
    datasets: int = Field(0, ge=0, le=_UINT32_MAX)
    """Datasets discovered."""
    schema_fields: int = Field(0, ge=0, le=_UINT32_MAX)
    """Schema fields recorded."""
    owners: int = Field(0, ge=0, le=_UINT32_MAX)
    """Owner assignments recorded."""
    domain_terms: int = Field(0, ge=0, le=_UINT32_MAX)
    """Domain terms recorded."""
    lineage_edges: int = Field(0, ge=0, le=_UINT32_MAX)
    """Upstream lineage edges recorded."""
    impact_paths: int = Field(0, ge=0, le=_UINT32_MAX)
    """Impact paths computed."""
    triples: int = Field(0, ge=0, le=2**64 - 1)
    """Triples in the report's RDF."""
    rdf_sha256: str = ""
    """sha256 of the report's RDF file."""
    datahub_path: str = ""
    """Where the DataHub MCP JSON was written."""
    attrs: str = "{}"
    """Everything else in the report, as a JSON object."""

    @model_validator(mode="before")
    @classmethod
    def _fold(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        counts = data.pop("counts", None)
        if isinstance(counts, dict):
            for key in _COUNT_FIELDS:
                if key in counts and key not in data:
                    data[key] = counts[key]
            extra_counts = {k: v for k, v in counts.items() if k not in _COUNT_FIELDS}
        else:
            extra_counts = {}
        known = set(cls.model_fields)
        extras = {k: data.pop(k) for k in list(data) if k not in known}
        if extra_counts:
            extras["counts"] = extra_counts
        if extras:
            base = data.get("attrs") or {}
            if not isinstance(base, dict):
                base = json.loads(attrs_json(base))
            data["attrs"] = {**extras, **base}
        return data

    @model_validator(mode="after")
    def _derive_id(self) -> StewardReportRow:
        if not self.report_id:
            derived = stable_id("steward", self.project, self.rdf_sha256 or self.ts.isoformat(), self.datahub_path)
            object.__setattr__(self, "report_id", derived)
        return self
