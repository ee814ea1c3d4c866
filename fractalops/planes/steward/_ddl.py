"""A small SQL DDL reader: CREATE TABLE → dataset + fields, CREATE VIEW ... AS SELECT → upstream lineage.

Not public API. Errors name the file and line; nothing is returned for a file with any error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fractalops.errors import SemanticsError

__all__ = ["DdlColumn", "DdlDataset", "parse_ddl"]

_IDENT = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)'
_NAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT}){{0,2}}"
_TABLE = re.compile(
    rf"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+|EXTERNAL\s+)?"
    rf"TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})\s*(?P<rest>.*)$",
    re.I | re.S,
)
_VIEW = re.compile(
    rf"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_NAME})\s*(?P<rest>.*)$",
    re.I | re.S,
)
_KNOWN_STATEMENTS = {
    "CREATE", "INSERT", "ALTER", "COMMENT", "DROP", "SET", "GRANT", "REVOKE", "BEGIN", "COMMIT", "UPDATE",
    "DELETE", "SELECT", "WITH", "USE", "TRUNCATE", "ANALYZE", "VACUUM", "START", "END", "ROLLBACK", "COPY",
    "DO", "REFRESH", "PRAGMA", "ATTACH", "DETACH", "REINDEX", "CLUSTER", "LOCK", "SAVEPOINT", "RELEASE",
}
_TABLE_CONSTRAINT = re.compile(r"^(CONSTRAINT|PRIMARY\s+KEY|FOREIGN\s+KEY|UNIQUE|CHECK|INDEX|KEY|EXCLUDE|PERIOD)\b", re.I)
_COLUMN_STOP = re.compile(
    r"\b(NOT|NULL|DEFAULT|PRIMARY|REFERENCES|UNIQUE|CHECK|CONSTRAINT|COLLATE|GENERATED|AUTO_INCREMENT|"
    r"AUTOINCREMENT|IDENTITY|COMMENT|ENCODE|CODEC|TTL|MATERIALIZED|ALIAS|EPHEMERAL)\b",
    re.I,
)
_SOURCE = re.compile(rf"\b(?P<kw>FROM|JOIN)\s+(?P<name>{_NAME})(?P<after>\s*\(?)", re.I)
_CTE = re.compile(rf"(?:\bWITH\s+(?:RECURSIVE\s+)?|,\s*)(?P<name>{_IDENT})\s*(?:\([^)]*\)\s*)?AS\s*\(", re.I)
_ALIAS = re.compile(rf"\bAS\s+(?P<alias>{_IDENT})\s*$", re.I)
_RESERVED_AFTER_FROM = {"SELECT", "LATERAL", "UNNEST", "VALUES", "ONLY"}


@dataclass
class DdlColumn:
    name: str
    native_type: str
    nullable: bool = True
    primary_key: bool = False


@dataclass
class DdlDataset:
    name: str
    kind: str
    """`table` or `view`."""
    line: int
    columns: list[DdlColumn] = field(default_factory=list)
    upstreams: list[str] = field(default_factory=list)


def _ident(text: str) -> str:
    parts = [p.strip() for p in re.findall(_IDENT, text)]
    out = []
    for p in parts:
        if p[0] in "\"`[":
            out.append(p[1:-1])
        else:
            out.append(p.lower())
    return ".".join(out)


class _Error(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset, self.message = offset, message


def _mask(text: str) -> str:
    """Blank out comments and string literals (same length, newlines kept) so offsets still map to lines."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise _Error(i, "unterminated /* comment")
            for k in range(i, j + 2):
                if out[k] != "\n":
                    out[k] = " "
            i = j + 2
        elif c == "'":
            j = i + 1
            while True:
                j = text.find("'", j)
                if j < 0:
                    raise _Error(i, "unterminated string literal")
                if text.startswith("''", j):
                    j += 2
                    continue
                break
            for k in range(i + 1, j):
                if out[k] != "\n":
                    out[k] = "x"
            i = j + 1
        elif c == "$" and (m := re.match(r"\$[A-Za-z_]*\$", text[i:])):
            tag = m.group(0)
            j = text.find(tag, i + len(tag))
            if j < 0:
                raise _Error(i, f"unterminated {tag} quoted body")
            for k in range(i + len(tag), j):
                if out[k] != "\n":
                    out[k] = "x"
            i = j + len(tag)
        elif c in "\"`":
            j = text.find(c, i + 1)
            if j < 0:
                raise _Error(i, f"unterminated {c}quoted identifier")
            i = j + 1
        else:
            i += 1
    return "".join(out)


def _statements(masked: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for i, c in enumerate(masked):
        if c == ";":
            out.append((start, masked[start:i]))
            start = i + 1
    out.append((start, masked[start:]))
    result = []
    for off, stmt in out:
        stripped = stmt.lstrip()
        if stripped:
            result.append((off + len(stmt) - len(stripped), stripped.rstrip()))
    return result


def _balanced(text: str, open_at: int, base: int = 0) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise _Error(base + open_at, "unbalanced parentheses: this '(' is never closed")


def _split_top(text: str, base: int) -> list[tuple[int, str]]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise _Error(base + i, "unbalanced parentheses: unexpected ')'")
        elif c == "," and depth == 0:
            parts.append((base + start, text[start:i]))
            start = i + 1
    parts.append((base + start, text[start:]))
    return parts


def _table(name: str, rest: str, rest_at: int, line: int) -> DdlDataset:
    ds = DdlDataset(name=_ident(name), kind="table", line=line)
    body = rest.lstrip()
    body_at = rest_at + len(rest) - len(body)
    if re.match(r"^AS\b", body, re.I) or re.match(r"^\(\s*SELECT\b", body, re.I):
        ds.upstreams = _sources(body)
        return ds
    if not body.startswith("("):
        raise _Error(body_at, f"CREATE TABLE {ds.name} has no column list '(...)'")
    close = _balanced(body, 0, body_at)
    pk: set[str] = set()
    for off, raw in _split_top(body[1:close], body_at + 1):
        item = raw.strip()
        at = off + len(raw) - len(raw.lstrip())
        if not item:
            raise _Error(at, f"empty column definition in CREATE TABLE {ds.name} (stray comma?)")
        if _TABLE_CONSTRAINT.match(item):
            m = re.match(r"^(?:CONSTRAINT\s+\S+\s+)?PRIMARY\s+KEY\s*\(([^)]*)\)", item, re.I)
            if m:
                pk |= {_ident(c) for c in m.group(1).split(",")}
            continue
        m = re.match(rf"^(?P<col>{_IDENT})\s*(?P<type>.*)$", item, re.S)
        if not m:
            raise _Error(at, f"cannot read column definition {item[:40]!r} in CREATE TABLE {ds.name}")
        col, tail = _ident(m.group("col")), m.group("type").strip()
        stop = _COLUMN_STOP.search(tail)
        native = re.sub(r"\s+", " ", tail[: stop.start()] if stop else tail).strip()
        if not native:
            raise _Error(at, f"column {col!r} of CREATE TABLE {ds.name} has no type")
        if native.count("(") != native.count(")"):
            raise _Error(at, f"column {col!r} of CREATE TABLE {ds.name} has an unbalanced type {native!r}")
        constraints = tail[stop.start():] if stop else ""
        is_pk = bool(re.search(r"\bPRIMARY\s+KEY\b", constraints, re.I))
        ds.columns.append(DdlColumn(col, native, nullable=not (is_pk or re.search(r"\bNOT\s+NULL\b", constraints, re.I)),
                                    primary_key=is_pk))
    if not ds.columns:
        raise _Error(body_at, f"CREATE TABLE {ds.name} declares no columns")
    for c in ds.columns:
        if c.name in pk:
            c.primary_key, c.nullable = True, False
    return ds


def _sources(select: str) -> list[str]:
    ctes = {_ident(m.group("name")) for m in _CTE.finditer(select)}
    found: list[str] = []
    for m in _SOURCE.finditer(select):
        name = _ident(m.group("name"))
        if m.group("after").strip() == "(" or name.upper() in _RESERVED_AFTER_FROM or name in ctes:
            continue
        if name not in found:
            found.append(name)
    # comma joins: FROM a x, b y
    for m in re.finditer(r"\bFROM\s+([^()]*?)(?=\bWHERE\b|\bGROUP\b|\bORDER\b|\bJOIN\b|\bLIMIT\b|\bUNION\b|\)|$)",
                         select, re.I | re.S):
        items = m.group(1).split(",")
        for item in items[1:]:
            tm = re.match(rf"\s*({_NAME})", item)
            if tm:
                name = _ident(tm.group(1))
                if name not in ctes and name not in found and name.upper() not in _RESERVED_AFTER_FROM:
                    found.append(name)
    return found


def _select_columns(select: str) -> list[str]:
    m = re.search(r"\bSELECT\s+(?:DISTINCT\s+(?:ON\s*\([^)]*\)\s*)?)?(?P<cols>.*?)\bFROM\b", select, re.I | re.S)
    if not m:
        return []
    cols = []
    for _off, raw in _split_top(m.group("cols"), 0):
        item = raw.strip()
        if not item or item.endswith("*"):
            continue
        alias = _ALIAS.search(item)
        if alias:
            cols.append(_ident(alias.group("alias")))
            continue
        bare = re.match(rf"^(?:{_IDENT}\s*\.\s*)*(?P<col>{_IDENT})(?:\s+(?P<alias>{_IDENT}))?$", item)
        if bare:
            cols.append(_ident(bare.group("alias") or bare.group("col")))
    return cols


def _view(name: str, rest: str, rest_at: int, line: int) -> DdlDataset:
    ds = DdlDataset(name=_ident(name), kind="view", line=line)
    body = rest.lstrip()
    body_at = rest_at + len(rest) - len(body)
    declared: list[str] = []
    if body.startswith("("):
        close = _balanced(body, 0, body_at)
        declared = [_ident(p) for _o, p in _split_top(body[1:close], 0) if p.strip()]
        body = body[close + 1:].lstrip()
    m = re.match(r"^(?:WITH\s*\([^)]*\)\s*)?AS\s+(?P<q>.*)$", body, re.I | re.S)
    if not m or not re.match(r"^\(?\s*(SELECT|WITH|VALUES)\b", m.group("q"), re.I):
        raise _Error(body_at, f"CREATE VIEW {ds.name} needs 'AS SELECT ...'")
    query = m.group("q")
    depth = 0
    for i, c in enumerate(query):
        depth += (c == "(") - (c == ")")
        if depth < 0:
            raise _Error(body_at + i, f"unbalanced parentheses in CREATE VIEW {ds.name}")
    if depth:
        raise _Error(body_at, f"unbalanced parentheses in CREATE VIEW {ds.name}: {depth} '(' never closed")
    ds.upstreams = _sources(query)
    if not ds.upstreams:
        raise _Error(body_at, f"CREATE VIEW {ds.name} reads from no table (no FROM/JOIN found)")
    ds.columns = [DdlColumn(c, "") for c in (declared or _select_columns(query))]
    return ds


def parse_ddl(text: str, where: str) -> tuple[list[DdlDataset], list[str]]:
    """(datasets, notes) from SQL text; raises `SemanticsError` naming `where` and the line on corrupt DDL."""

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    datasets: list[DdlDataset] = []
    notes: list[str] = []
    try:
        masked = _mask(text)
        for off, stmt in _statements(masked):
            line = line_of(off)
            first = re.match(r"[A-Za-z]+", stmt)
            keyword = first.group(0).upper() if first else ""
            if keyword not in _KNOWN_STATEMENTS:
                raise _Error(off, f"unrecognized statement starting {stmt[:30]!r}")
            if keyword != "CREATE":
                notes.append(f"{where}:{line}: skipped {keyword} statement")
                continue
            if m := _VIEW.match(stmt):
                datasets.append(_view(m.group("name"), m.group("rest"), off + m.start("rest"), line))
            elif m := _TABLE.match(stmt):
                datasets.append(_table(m.group("name"), m.group("rest"), off + m.start("rest"), line))
            elif re.match(r"^CREATE\s+(?:\w+\s+)*(TABLE|VIEW)\b", stmt, re.I):
                raise _Error(off, "cannot read this CREATE TABLE/VIEW statement (missing name?)")
            else:
                what = " ".join(stmt.split()[:2])
                notes.append(f"{where}:{line}: skipped {what} statement")
    except _Error as exc:
        raise SemanticsError(
            f"corrupt DDL in {where} at line {line_of(exc.offset)}: {exc.message}; fix the SQL and run the steward again"
        ) from None
    seen: dict[str, int] = {}
    for ds in datasets:
        if ds.name in seen:
            raise SemanticsError(
                f"corrupt DDL in {where} at line {ds.line}: {ds.name} is already defined at line {seen[ds.name]}; "
                "keep one definition per dataset"
            )
        seen[ds.name] = ds.line
    return datasets, notes
