"""`scan_project`: CSV, Parquet, SQL DDL and `fractalops-steward.yaml` → a `StewardReport` (writes nothing)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from fractalops.errors import SemanticsError
from fractalops.planes.semantics.graph import SemanticGraph
from fractalops.planes.semantics.terms import TermMap
from fractalops.planes.steward._config import STEWARD_FILE, StewardConfig, load_config
from fractalops.planes.steward._ddl import DdlDataset, parse_ddl
from fractalops.planes.steward._files import PARQUET_AVAILABLE, csv_schema, parquet_schema
from fractalops.planes.steward.report import (
    DatasetRecord,
    LocalTermRecord,
    SchemaFieldRecord,
    StewardReport,
    UnmappedTerm,
)

__all__ = ["scan_project", "SKIPPED_DIRS"]

SKIPPED_DIRS = frozenset({".git", ".fractalops", ".venv", "venv", "node_modules", "__pycache__", ".hg", ".svn"})
"""Directory names never scanned."""


def _files(root: Path, cfg: StewardConfig) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if not path.is_file() or path.suffix.lower() not in (".csv", ".parquet", ".sql"):
            continue
        if any(rel.match(pattern) for pattern in cfg.exclude):
            continue
        out.append(path)
    return out


def _unique_name(name: str, rel: Path, taken: set[str], notes: list[str]) -> str:
    if name not in taken:
        return name
    alt = rel.with_suffix("").as_posix()
    if alt in taken:
        raise SemanticsError(f"dataset name {alt!r} from {rel} clashes with another dataset; rename the file")
    notes.append(f"{rel}: dataset name {name!r} already taken, recorded as {alt!r}")
    return alt


def scan_project(project_dir: Path, *, semantics: SemanticGraph | None = None) -> StewardReport:
    """Scan a project directory. Raises `SemanticsError` (naming file and line) on corrupt input."""
    root = Path(project_dir).resolve()
    if not root.is_dir():
        raise SemanticsError(f"steward: project directory {root} does not exist")
    started = datetime.now(UTC)
    cfg = load_config(root)
    notes: list[str] = []
    ddl: list[tuple[Path, DdlDataset]] = []
    files: list[tuple[Path, str, list[tuple[str, str, bool]]]] = []
    scanned = _files(root, cfg)
    for path in scanned:
        rel = path.relative_to(root)
        suffix = path.suffix.lower()
        if suffix == ".sql":
            try:
                text = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SemanticsError(f"cannot read SQL file {rel}: {exc}") from None
            found, ddl_notes = parse_ddl(text, rel.as_posix())
            ddl.extend((rel, d) for d in found)
            notes.extend(ddl_notes)
        elif suffix == ".csv":
            files.append((rel, "csv", csv_schema(path, rel.as_posix())))
        elif PARQUET_AVAILABLE:
            files.append((rel, "parquet", parquet_schema(path, rel.as_posix())))
        else:
            notes.append(f"{rel}: skipped Parquet file (pyarrow is not installed)")

    # DDL names are authoritative; files take their stem unless it is taken.
    taken: set[str] = set()
    for rel, d in ddl:
        if d.name in taken:
            raise SemanticsError(f"corrupt DDL in {rel} at line {d.line}: {d.name} is defined in more than one file")
        taken.add(d.name)
    file_names: list[str] = []
    for rel, _kind, _schema in files:
        name = _unique_name(rel.stem, rel, taken, notes)
        taken.add(name)
        file_names.append(name)

    term_map = TermMap(cfg.project, semantics, cfg.local_terms)
    local_used: dict[str, LocalTermRecord] = {}
    unmapped: list[UnmappedTerm] = []

    def resolve(where: str) -> tuple[str, ...]:
        out: list[str] = []
        for term in cfg.terms.get(where, []):
            check = term_map.check_term(term)
            if not check.ok or check.global_iri is None:
                unmapped.append(UnmappedTerm(term=term, where=where, reason=check.reason))
                continue
            if check.match in ("exactMatch", "broadMatch"):
                local_used[term] = LocalTermRecord(term=term, global_iri=check.global_iri, match=check.match)
            if check.global_iri not in out:
                out.append(check.global_iri)
        return tuple(out)

    known_types: dict[tuple[str, str], str] = {}
    for _rel, d in ddl:
        for c in d.columns:
            if c.native_type:
                known_types[(d.name, c.name)] = c.native_type

    def ds_record(name: str, kind: str, platform: str, source: str, line: int | None,
                  columns: list[tuple[str, str, str, bool, bool]], upstreams: tuple[str, ...]) -> DatasetRecord:
        fields = tuple(
            SchemaFieldRecord(name=c, type=t, native_type=nt, nullable=nl, primary_key=pk, position=i,
                              terms=resolve(f"{name}.{c}"))
            for i, (c, t, nt, nl, pk) in enumerate(columns)
        )
        return DatasetRecord(name=name, kind=kind, platform=platform, source=source, line=line,  # type: ignore[arg-type]
                             description=cfg.descriptions.get(name, ""), fields=fields,
                             owners=tuple(cfg.owners.get(name, [])), terms=resolve(name), upstreams=upstreams)

    records: list[DatasetRecord] = []
    lower = {n.lower(): n for n in taken}
    by_last: dict[str, list[str]] = {}
    for n in taken:
        by_last.setdefault(n.rsplit(".", 1)[-1].lower(), []).append(n)
    external: dict[str, str] = {}
    for rel, d in ddl:
        ups: list[str] = []
        for up in d.upstreams:
            target = lower.get(up.lower())
            if target is None and len(by_last.get(up.rsplit(".", 1)[-1].lower(), [])) == 1:
                target = by_last[up.rsplit(".", 1)[-1].lower()][0]
            if target is None:
                target = up
                if up not in external:
                    external[up] = f"{rel}:{d.line}"
                    notes.append(f"{rel}:{d.line}: view {d.name} reads {up}, which the project does not define "
                                 "(recorded as an external dataset)")
            if target not in ups:
                ups.append(target)
        cols = []
        for c in d.columns:
            native = c.native_type or next((known_types[(u, c.name)] for u in ups if (u, c.name) in known_types), "")
            cols.append((c.name, native or "unknown", c.native_type, c.nullable, c.primary_key))
        records.append(ds_record(d.name, d.kind, cfg.platform, rel.as_posix(), d.line, cols, tuple(ups)))
    for (rel, kind, schema), name in zip(files, file_names, strict=True):
        cols = [(c, t, t if kind == "parquet" else "", nl, False) for c, t, nl in schema]
        records.append(ds_record(name, kind, "file", rel.as_posix(), None, cols, ()))
    for name in sorted(external):
        records.append(ds_record(name, "external", cfg.platform, "", None, [], ()))

    defined = {r.name for r in records}
    for section, mapping in (("owners", cfg.owners), ("descriptions", cfg.descriptions)):
        for key in mapping:
            if key not in defined:
                notes.append(f"{STEWARD_FILE}: {section} for unknown dataset {key!r} not recorded")
    for key in cfg.terms:
        ds_name = key if key in defined else key.rsplit(".", 1)[0]
        if ds_name not in defined:
            notes.append(f"{STEWARD_FILE}: terms for unknown dataset/field {key!r} not recorded")
        elif key not in defined and key.rsplit(".", 1)[-1] not in {f.name for f in _by(records, ds_name).fields}:
            notes.append(f"{STEWARD_FILE}: terms for unknown field {key!r} not recorded")

    records.sort(key=lambda r: r.name)
    digest_src = json.dumps(
        {"project": cfg.project, "datasets": [r.model_dump(mode="json") for r in records],
         "unmapped": [u.model_dump() for u in unmapped]},
        sort_keys=True,
    )
    report_id = hashlib.sha256(digest_src.encode()).hexdigest()[:16]
    return StewardReport(
        report_id=report_id,
        project=cfg.project,
        project_dir=str(root),
        started_at=started,
        completed_at=datetime.now(UTC),
        datasets=tuple(records),
        local_terms=tuple(sorted(local_used.values(), key=lambda t: t.term)),
        unmapped_terms=tuple(unmapped),
        notes=tuple(notes),
        files_scanned=len(scanned),
    )


def _by(records: list[DatasetRecord], name: str) -> DatasetRecord:
    return next(r for r in records if r.name == name)
