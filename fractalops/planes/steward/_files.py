"""CSV and Parquet schema readers. Not public API."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from fractalops.errors import SemanticsError

__all__ = ["csv_schema", "parquet_schema", "PARQUET_AVAILABLE"]

try:
    import pyarrow.parquet as _pq

    PARQUET_AVAILABLE = True
except ImportError:  # pragma: no cover - pyarrow is installed here; kept for lean installs
    _pq = None
    PARQUET_AVAILABLE = False

_SAMPLE_ROWS = 1000
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_BOOL = {"true", "false", "t", "f", "yes", "no"}
_ORDER = ["boolean", "integer", "double", "date", "timestamp", "string"]


def _kind(value: str) -> str:
    v = value.strip()
    if v.lower() in _BOOL:
        return "boolean"
    if _INT.match(v):
        return "integer"
    if _FLOAT.match(v):
        return "double"
    if _DATE.match(v):
        return "date"
    if _TS.match(v):
        return "timestamp"
    return "string"


def _widen(a: str | None, b: str) -> str:
    if a is None or a == b:
        return b
    if {a, b} == {"integer", "double"}:
        return "double"
    if {a, b} == {"date", "timestamp"}:
        return "timestamp"
    return "string"


def csv_schema(path: Path, where: str) -> list[tuple[str, str, bool]]:
    """[(column, inferred type, nullable)] from the header and up to 1000 sampled rows."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            first = fh.readline()
            fh.seek(0)
            # the header decides the delimiter (csv.Sniffer is slow and guesses wrong on tiny files)
            delimiter = max(",;\t|", key=lambda d: (first.count(d), d == ","))
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise SemanticsError(f"CSV file {where} has no header row; add one (column names) and run again")
            names = [h.strip() for h in header]
            empty = [i + 1 for i, n in enumerate(names) if not n]
            if empty:
                raise SemanticsError(f"CSV file {where}: header column(s) {empty} have no name; name every column")
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise SemanticsError(f"CSV file {where}: duplicate header column(s) {dupes}; make names unique")
            kinds: list[str | None] = [None] * len(names)
            nullable = [False] * len(names)
            for rownum, row in enumerate(reader, start=2):
                if rownum > _SAMPLE_ROWS + 1:
                    break
                if len(row) > len(names):
                    raise SemanticsError(
                        f"CSV file {where} line {reader.line_num}: {len(row)} values for {len(names)} header columns"
                    )
                for i in range(len(names)):
                    value = row[i] if i < len(row) else ""
                    if value.strip() == "":
                        nullable[i] = True
                    else:
                        kinds[i] = _widen(kinds[i], _kind(value))
    except UnicodeDecodeError as exc:
        raise SemanticsError(f"CSV file {where} is not UTF-8 ({exc}); re-encode it as UTF-8") from None
    except OSError as exc:
        raise SemanticsError(f"cannot read CSV file {where}: {exc}") from None
    return [(n, k or "string", nl) for n, k, nl in zip(names, kinds, nullable, strict=True)]


def parquet_schema(path: Path, where: str) -> list[tuple[str, str, bool]]:
    """[(column, arrow type, nullable)] from the Parquet footer (needs pyarrow)."""
    if _pq is None:
        raise SemanticsError(f"cannot read Parquet file {where}: pyarrow is not installed")
    try:
        schema = _pq.read_schema(path)
    except Exception as exc:
        raise SemanticsError(f"corrupt Parquet file {where}: {exc}; replace or remove it and run again") from None
    return [(f.name, str(f.type), bool(f.nullable)) for f in schema]
