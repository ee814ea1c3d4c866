"""The read-only SQL check for operator queries: one SELECT over the warehouse's own tables, or a refusal.

    from fractalops.planes.warehouse.read_only import ReadScope, check_read_only
    sql_to_run = check_read_only(operator_sql, ReadScope.of_warehouse("default"))

The statement is parsed with sqlglot's ClickHouse dialect, checked, and the SQL that runs is regenerated from the
checked tree (comments dropped), never the operator's text: a construct that sqlglot and ClickHouse would read
differently (e.g. `#`, which sqlglot reads as a comment and ClickHouse does not) cannot smuggle anything past the
check. The regenerated SQL is parsed and checked once more and must regenerate to itself.

Allowed: a single SELECT, `WITH … SELECT`, UNION / INTERSECT / EXCEPT of those, subqueries, joins, ARRAY JOIN,
aggregates and window functions, over the warehouse tables (unqualified or qualified by the warehouse database),
CTE names, and the system tables in `SYSTEM_TABLES`. Everything else is refused with a `QueryRefusedError` whose
`.construct` names what was refused. The allowed set is closed (any function in FROM/JOIN position is refused,
whatever its name); only scalar functions are a deny-list, because ClickHouse has ~1,900 and nearly all of them
are pure (see `DENIED_FUNCTIONS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from fractalops.errors import QueryRefusedError
from fractalops.planes.warehouse.migrations import TABLES

__all__ = ["ReadScope", "check_read_only", "SYSTEM_TABLES", "DENIED_FUNCTIONS", "DENIED_FUNCTION_PREFIXES"]

_DIALECT = Dialect.get_or_raise("clickhouse")

SYSTEM_TABLES: dict[str, tuple[str, str] | None] = {
    "one": None,
    "tables": ("database", "name"),
    "columns": ("database", "table"),
}
"""System tables an operator may read, with the (database, table) columns that scope them to the warehouse.

`system.one` is a constant row. `system.tables` and `system.columns` are how an operator looks up the schema; they
are rewritten to a subquery holding only the warehouse's own tables, so other databases' schemas stay hidden.
Everything else under `system` is refused: users, grants, settings, processes, query logs, dictionaries, disks and
the unbounded generators (`numbers`, `zeros`: use `range()` / `arrayJoin(range(n))`) are not warehouse data.
"""

DENIED_FUNCTIONS: frozenset[str] = frozenset({
    # read files, the network, a model file or a server-side join/dictionary
    "file", "joinget", "joingetornull", "catboostevaluate", "modelevaluate",
    "naivebayesclassifier", "naivebayesclassifierwithprob", "naivebayesclassifierwithallprobs",
    # the functional form of IN takes a table name as its second argument: notIn(x, system.users)
    "in", "notin", "globalin", "globalnotin", "nullin", "notnullin", "globalnullin", "globalnotnullin",
    "inignoreset", "notinignoreset", "globalinignoreset", "globalnotinignoreset", "nullinignoreset",
    "notnullinignoreset", "globalnullinignoreset", "globalnotnullinignoreset",
    # server configuration, environment and host
    "getsetting", "getsettingordefault", "getserversetting", "getmergetreesetting", "getmacro", "globalvariable",
    "displayname", "getserverport", "tcpport", "serveruuid", "getoskernelversion", "showcertificate",
    "filesystemavailable", "filesystemcapacity", "filesystemunreserved", "hostname", "fqdn", "fullhostname",
    "getclienthttpheader", "currentrequesturl", "currenthandler", "zookeepersessionuptime", "generateserialid",
    # identities, roles, profiles; metadata of tables that are not the warehouse's
    "currentuser", "user", "current_user", "session_user", "authenticateduser", "authuser", "currentroles",
    "enabledroles", "defaultroles", "currentprofiles", "enabledprofiles", "defaultprofiles", "pggetuserbyid",
    "pg_get_userbyid", "hascolumnintable", "getmaxtablenamelengthfordatabase", "pgtableisvisible",
    "pg_table_is_visible",
    # introspection (server memory, logs, threads, parts on disk)
    "addresstoline", "addresstolinewithinlines", "addresstosymbol", "demangle", "logtrace", "tid",
    "mergetreepartinfo", "ismergetreepartcoveredby",
    # stall the server's query thread
    "sleep", "sleepeachrow",
})
"""Scalar functions refused anywhere (compared in lower case: many ClickHouse names are case-insensitive)."""

DENIED_FUNCTION_PREFIXES: tuple[str, ...] = ("dictget", "dicthas", "dictisin", "region", "ai", "__")
"""Whole families: dictionaries, embedded (region) dictionaries, AI functions (they call a model endpoint),
internal `__` functions."""


@dataclass(frozen=True)
class ReadScope:
    """What an operator query may read."""

    database: str
    """The warehouse database; a table qualified with it must still be one of `tables`."""
    tables: frozenset[str]
    """The warehouse's own tables (`schema_migrations` and `TABLES`)."""
    denied_functions: frozenset[str] = frozenset()
    """More function names to refuse: the engine's user-defined (SQL, executable, wasm) functions."""

    @classmethod
    def of_warehouse(cls, database: str, denied_functions: Iterable[str] = ()) -> ReadScope:
        """The scope of a warehouse in `database`: its tables as the migrations create them."""
        return cls(database=database, tables=frozenset(("schema_migrations", *TABLES)),
                   denied_functions=frozenset(denied_functions))


def check_read_only(sql: str, scope: ReadScope) -> str:
    """The SQL to run for `sql` (regenerated from the checked tree), or a `QueryRefusedError` naming the construct."""
    try:
        return _checked(sql, scope)
    except QueryRefusedError as exc:
        raise QueryRefusedError(exc.construct, exc.detail, query=sql) from None


def _checked(sql: str, scope: ReadScope) -> str:
    tokens = _tokens(sql)
    _check_statement_tokens(tokens)
    tree = _parse_one(sql)
    _check_tree(tree, scope)
    _check_token_calls(tokens, scope)
    final = _generate(_scoped_system_tables(tree, scope))
    again = _parse_one(final)
    _check_tree(again, scope)
    _check_token_calls(_tokens(final), scope)
    if _generate(again) != final:
        raise QueryRefusedError("SQL that does not round-trip",
                                f"its checked form changed when parsed again ({final[:200]})")
    return final


def _tokens(sql: str) -> list[Token]:
    try:
        tokens = _DIALECT.tokenize(sql)
    except TokenError as exc:
        raise QueryRefusedError("unparsable SQL", f"it could not be tokenized: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a tokenizer crash is a refusal too
        raise QueryRefusedError("unparsable SQL", f"sqlglot failed on it ({type(exc).__name__}: {exc})") from None
    if all(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise QueryRefusedError("empty query", "it holds no statement")
    return tokens


def _check_statement_tokens(tokens: list[Token]) -> None:
    # Named from the tokens: sqlglot cannot parse every write/admin form (KILL QUERY WHERE …, INTO OUTFILE).
    first = tokens[0]
    if first.token_type == TokenType.SEMICOLON:
        raise QueryRefusedError("multiple statements", "it starts with an empty statement")
    if first.token_type not in (TokenType.SELECT, TokenType.WITH, TokenType.L_PAREN):
        raise QueryRefusedError(first.text.upper())
    for token, after in zip(tokens, tokens[1:], strict=False):
        if token.token_type == TokenType.INTO and after.text.upper() == "OUTFILE":
            raise QueryRefusedError("INTO OUTFILE")


_NOT_A_CALL = frozenset({TokenType.NUMBER, TokenType.IN, *(t for t in TokenType if t.name.endswith("STRING"))})


def _check_token_calls(tokens: list[Token], scope: ReadScope) -> None:
    # A second net under the tree check: every `name(` in the text, whatever sqlglot made of it.
    for token, after in zip(tokens, tokens[1:], strict=False):
        if token.token_type == TokenType.SETTINGS:
            raise QueryRefusedError("SETTINGS", "per-query settings cannot be changed here (quote an alias "
                                    'named settings: "settings")')
        if after.token_type == TokenType.L_PAREN and token.token_type not in _NOT_A_CALL:
            _check_function_name(token.text, scope)


def _parse_one(sql: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read=_DIALECT) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        reason = first.get("description") or str(exc).splitlines()[0]
        raise QueryRefusedError("unparsable SQL", f"{reason}{where} (parsed as ClickHouse SQL by sqlglot)") from None
    except Exception as exc:  # noqa: BLE001 - a parser crash (sqlglot has IndexErrors on odd input) is a refusal
        raise QueryRefusedError("unparsable SQL", f"sqlglot failed on it ({type(exc).__name__}: {exc})") from None
    if len(statements) != 1:
        raise QueryRefusedError("multiple statements", f"{len(statements)} statements; send exactly one SELECT")
    return statements[0]


def _generate(tree: exp.Expression) -> str:
    try:
        return tree.sql(dialect=_DIALECT, comments=False, unsupported_level=ErrorLevel.RAISE)
    except Exception as exc:  # noqa: BLE001 - UnsupportedError, or a generator crash: refused either way
        raise QueryRefusedError("unsupported SQL", f"it cannot be written back as ClickHouse SQL: {exc}") from None


def _statement(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.TruncateTable):
        return "TRUNCATE"
    return node.key.upper()


_WRITES = (exp.DDL, exp.DML, exp.Command, exp.Set, exp.Use, exp.Kill, exp.Describe, exp.Grant, exp.Revoke)


def _check_tree(tree: exp.Expression, scope: ReadScope) -> None:
    root = tree.unnest() if isinstance(tree, exp.Subquery) else tree
    if not isinstance(root, exp.Select | exp.SetOperation):
        raise QueryRefusedError(_statement(root))
    for node in tree.walk():
        if isinstance(node, _WRITES):
            raise QueryRefusedError(_statement(node))
        if isinstance(node, exp.Query):
            for clause in ("settings", "format", "into"):
                if node.args.get(clause):
                    raise QueryRefusedError(clause.upper(), "the query runs as it is, with the warehouse's settings")
        if isinstance(node, exp.From | exp.Join):
            _check_source(node)
        elif isinstance(node, exp.Table):
            _check_table(node, scope)
        elif isinstance(node, exp.In):
            _check_in_target(node, scope)
        elif isinstance(node, exp.Placeholder):
            raise QueryRefusedError("query parameter", "operator queries take no {name:Type} parameters")
        elif isinstance(node, exp.Func):
            for name in _function_names(node):
                _check_function_name(name, scope)


def _check_source(node: exp.From | exp.Join) -> None:
    if isinstance(node, exp.Join) and str(node.args.get("kind") or "").upper() == "ARRAY":
        return  # ARRAY JOIN unfolds array expressions; their functions are checked like any other
    source = node.this
    while isinstance(source, exp.Final):
        source = source.this
    if not isinstance(source, exp.Table | exp.Subquery):
        place = "JOIN" if isinstance(node, exp.Join) else "FROM"
        raise QueryRefusedError(f"{_statement(source)} in {place}", "read warehouse tables, CTEs or subqueries")


def _check_table(table: exp.Table, scope: ReadScope) -> None:
    if isinstance(table.this, exp.Func):
        raise QueryRefusedError(f"table function {_function_label(table.this)}",
                                "table functions read outside the warehouse")
    if isinstance(table.this, exp.Placeholder):
        raise QueryRefusedError("query parameter", "operator queries take no {name:Type} parameters")
    if not isinstance(table.this, exp.Identifier):
        raise QueryRefusedError(f"{_statement(table.this)} as a table", "name a warehouse table")
    _check_table_name(table, table.catalog, table.db, table.name, scope)


def _check_table_name(node: exp.Expression, catalog: str, db: str, name: str, scope: ReadScope,
                      hint: str = "") -> None:
    shown = ".".join(p for p in (catalog, db, name) if p)
    if catalog:
        raise QueryRefusedError(f"table {shown}", "name a table as <table> or <database>.<table>")
    if not db and (name in scope.tables or name in _visible_ctes(node)):
        return
    if db == scope.database and name in scope.tables:
        return
    if db == "system" and name in SYSTEM_TABLES:
        return
    if db == "system":
        allowed = ", ".join(f"system.{t}" for t in SYSTEM_TABLES)
        raise QueryRefusedError(f"table {shown}", f"the system tables allowed here are {allowed}{hint}")
    raise QueryRefusedError(f"table {shown}", f"the warehouse tables are {', '.join(sorted(scope.tables))} "
                            f"(database {scope.database}), plus the query's CTEs{hint}")


def _check_in_target(node: exp.In, scope: ReadScope) -> None:
    # ClickHouse reads `x IN name` and `x IN (name)` as "x in the rows of table name".
    target = node.args.get("field")
    if target is None and len(node.expressions) == 1:
        target = node.expressions[0]
        while isinstance(target, exp.Paren):
            target = target.this
    if isinstance(target, exp.Func):
        raise QueryRefusedError(f"function {_function_label(target)} after IN", "use IN (SELECT …) or a list")
    if not isinstance(target, exp.Column):
        return
    if not target.table and target.name in _visible_ctes(node, scalars=True):
        return
    catalog = ".".join(p for p in (target.catalog, target.db) if p)
    _check_table_name(node, catalog, target.table, target.name, scope,
                      hint="; a bare name after IN reads that table: compare columns with = or has()")


def _visible_ctes(node: exp.Expression, *, scalars: bool = False) -> set[str]:
    """CTE names in scope at `node`: a CTE sees the ones defined before it (and itself, for recursion)."""
    names: set[str] = set()
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            ctes = parent.expressions
            upto = next((i + 1 for i, cte in enumerate(ctes) if cte is child), len(ctes))
            names.update(_cte_names(ctes[:upto], scalars))
            child = parent.parent  # the query that owns this WITH: its other CTEs are not visible here
            parent = child.parent if child is not None else None
            continue
        if isinstance(parent, exp.Query) and not isinstance(child, exp.With):
            names.update(_cte_names(parent.ctes, scalars))
        child, parent = parent, parent.parent
    return names


def _cte_names(ctes: Iterable[exp.Expression], scalars: bool) -> Iterator[str]:
    for cte in ctes:
        if isinstance(cte, exp.CTE) and (scalars or not cte.args.get("scalar")):
            yield cte.alias


def _function_label(node: exp.Func) -> str:
    return node.name if isinstance(node, exp.Anonymous) else node.sql_name().lower()


def _function_names(node: exp.Func) -> set[str]:
    if isinstance(node, exp.Anonymous):
        return {node.name}
    return set(type(node).sql_names())


def _check_function_name(name: str, scope: ReadScope) -> None:
    lowered = name.lower()
    if lowered in DENIED_FUNCTIONS or lowered.startswith(DENIED_FUNCTION_PREFIXES) or \
            lowered in {f.lower() for f in scope.denied_functions}:
        raise QueryRefusedError(f"function {name}", "it reads outside the warehouse tables, or stalls the server")


def _scoped_system_tables(tree: exp.Expression, scope: ReadScope) -> exp.Expression:
    """`system.tables` / `system.columns` become subqueries over the warehouse's own tables only."""
    tree = tree.copy()
    for table in list(tree.find_all(exp.Table)):
        columns = SYSTEM_TABLES.get(table.name) if table.db == "system" else None
        if columns is None:
            continue
        db_column, table_column = columns
        own = exp.select("*").from_(exp.table_(table.name, db="system")).where(exp.and_(
            exp.column(db_column).eq(exp.Literal.string(scope.database)),
            exp.column(table_column).isin(*(exp.Literal.string(t) for t in sorted(scope.tables))),
        ))
        table.replace(own.subquery(table.alias_or_name))
    return tree
