"""The operator read path: only single SELECTs over the warehouse's own tables run, on a readonly=1 connection.

Real chdb throughout. The lists of table functions, functions and system tables come from chdb itself, so a
ClickHouse upgrade that adds one is covered (or fails here) without editing this file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from clickhouse_connect.driver.exceptions import ClickHouseError

from fractalops.errors import QueryRefusedError, WarehouseError
from fractalops.planes.warehouse import TABLES, ReadScope, Warehouse, check_read_only
from fractalops.planes.warehouse.read_only import DENIED_FUNCTION_PREFIXES, DENIED_FUNCTIONS, SYSTEM_TABLES

OWN_TABLES = {"schema_migrations", *TABLES}
SCOPE = ReadScope.of_warehouse("default")


def _refused(warehouse: Warehouse, sql: str) -> QueryRefusedError:
    with pytest.raises(QueryRefusedError) as caught:
        warehouse.read_only_query(sql)
    assert caught.value.construct in str(caught.value)
    return caught.value


def _construct(sql: str, scope: ReadScope = SCOPE) -> str:
    with pytest.raises(QueryRefusedError) as caught:
        check_read_only(sql, scope)
    return caught.value.construct


def _names(warehouse: Warehouse, sql: str) -> list[str]:
    return [r["name"] for r in warehouse.query(sql)]


# The four exploits of issue 9, item 2


def test_reading_a_secret_file_is_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    secret = tmp_path / "secrets" / "local.json"
    secret.parent.mkdir()
    secret.write_text('{"openbao://kv/app#token": "s3cr3t"}')
    assert _refused(warehouse, f"SELECT * FROM file('{secret}', 'RawBLOB')").construct == "table function file"
    assert _refused(warehouse, f"SELECT file('{secret}') AS x").construct == "function file"
    assert _refused(warehouse, f"SELECT * FROM events WHERE attrs IN (SELECT * FROM file('{secret}', 'RawBLOB'))"
                    ).construct == "table function file"


def test_writing_outside_the_data_dir_is_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    error = _refused(warehouse, f"INSERT INTO FUNCTION file('{outside}', 'RawBLOB') SELECT 'pwned'")
    assert error.construct == "INSERT"
    assert not outside.exists()


def test_overwriting_a_workspace_git_config_is_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    config = tmp_path / "workspace" / ".git" / "config"
    config.parent.mkdir(parents=True)
    config.write_text("[core]\n\tbare = false\n")
    payload = "[core]\\n\\tfsmonitor = touch /tmp/owned\\n"
    error = _refused(warehouse, f"INSERT INTO FUNCTION file('{config}', 'RawBLOB') SELECT '{payload}' "
                                f"SETTINGS engine_file_truncate_on_insert=1")
    assert error.construct == "INSERT"
    assert _refused(warehouse, "SELECT count() FROM events SETTINGS engine_file_truncate_on_insert=1"
                    ).construct == "SETTINGS"
    assert config.read_text() == "[core]\n\tbare = false\n"


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"internal")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    thread.join()


def test_fetching_a_loopback_url_is_refused(warehouse: Warehouse, loopback: tuple[str, list[str]]) -> None:
    base, hits = loopback
    assert _refused(warehouse, f"SELECT * FROM url('{base}/admin', 'RawBLOB')").construct == "table function url"
    assert _refused(warehouse, f"SELECT * FROM urlCluster('default', '{base}/x', 'RawBLOB')"
                    ).construct == "table function urlCluster"
    assert hits == []


# Table functions, writes, clauses


def test_every_table_function_of_the_engine_is_refused_in_from(warehouse: Warehouse) -> None:
    names = _names(warehouse, "SELECT name FROM system.table_functions ORDER BY name")
    assert {"file", "url", "s3", "remote", "numbers", "merge", "view", "executable", "python"} <= set(names)
    forms = ("SELECT * FROM {f}('a', 1)", "SELECT * FROM `{f}`('a')", 'SELECT * FROM "{F}"(1) AS t',
             "SELECT * FROM events AS e JOIN {f}(1) AS t ON 1", "SELECT * FROM events, {f}(1)",
             "WITH x AS (SELECT * FROM {f}(1)) SELECT * FROM x", "SELECT 1 IN (SELECT * FROM {f}(1))",
             "SELECT * FROM (SELECT * FROM {f}(1)) UNION ALL SELECT * FROM events")
    passed, unnamed = [], []
    for name in names:
        for form in forms:
            sql = form.format(f=name, F=name.upper())
            try:
                check_read_only(sql, SCOPE)
            except QueryRefusedError as exc:
                # sqlglot cannot parse some (view(1), generate_series(1)): refused as unparsable, never run
                if name.lower() not in exc.construct.lower() and exc.construct != "unparsable SQL":
                    unnamed.append((sql, exc.construct))
            else:
                passed.append(sql)
    assert passed == []
    assert unnamed == []


def test_table_functions_are_refused_whatever_their_name() -> None:
    # not an enumeration: a function in FROM is refused even if ClickHouse has no such table function yet
    assert _construct("SELECT * FROM tomorrowsTableFunction('x')") == "table function tomorrowsTableFunction"
    assert _construct("SELECT * FROM events('x')") == "table function events"
    assert _construct("SELECT * FROM VALUES('a Int8', 1)") == "VALUES in FROM"


WRITES = {
    "INSERT": ["INSERT INTO events (event_id) VALUES ('x')", "INSERT INTO events SELECT * FROM events",
               "INSERT INTO FUNCTION file('/tmp/x', 'RawBLOB') SELECT 1", "insert into events values ('x')"],
    "CREATE": ["CREATE TABLE t (a Int8) ENGINE = Memory", "CREATE DATABASE d", "CREATE VIEW v AS SELECT 1",
               "CREATE FUNCTION f AS (x) -> x", "CREATE DICTIONARY d (k UInt64) PRIMARY KEY k "
               "SOURCE(FILE(path '/etc/passwd' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
               "CREATE USER u", "CREATE ROLE r", "CREATE ROW POLICY p ON events USING 1",
               "CREATE QUOTA q", "CREATE SETTINGS PROFILE sp", "CREATE TEMPORARY TABLE t (a Int8)"],
    "ALTER": ["ALTER TABLE events DELETE WHERE 1", "ALTER TABLE events UPDATE attrs = '' WHERE 1",
              "ALTER TABLE events ADD COLUMN x Int8", "ALTER USER default IDENTIFIED BY 'x'"],
    "DROP": ["DROP TABLE events", "DROP DATABASE default", "DROP DICTIONARY d", "DROP FUNCTION f"],
    "TRUNCATE": ["TRUNCATE TABLE events"],
    "RENAME": ["RENAME TABLE events TO e2"],
    "OPTIMIZE": ["OPTIMIZE TABLE events FINAL"],
    "ATTACH": ["ATTACH TABLE events"],
    "DETACH": ["DETACH TABLE events"],
    "EXCHANGE": ["EXCHANGE TABLES events AND facts"],
    "SYSTEM": ["SYSTEM RELOAD DICTIONARIES", "SYSTEM FLUSH LOGS", "SYSTEM DROP DNS CACHE"],
    "KILL": ["KILL QUERY WHERE 1", "KILL MUTATION WHERE 1"],
    "SET": ["SET readonly = 0", "SET allow_introspection_functions = 1"],
    "USE": ["USE system"],
    "GRANT": ["GRANT ALL ON *.* TO default"],
    "REVOKE": ["REVOKE ALL ON *.* FROM default"],
    "BACKUP": ["BACKUP TABLE events TO File('/tmp/b')"],
    "RESTORE": ["RESTORE TABLE events FROM File('/tmp/b')"],
    "DELETE": ["DELETE FROM events WHERE 1"],
    "UPDATE": ["UPDATE events SET attrs = '' WHERE 1"],
    "UNDROP": ["UNDROP TABLE events"],
    "CHECK": ["CHECK TABLE events"],
    "DESCRIBE": ["DESCRIBE TABLE events"],
    "DESC": ["DESC events"],
    "SHOW": ["SHOW TABLES", "SHOW CREATE TABLE events", "SHOW GRANTS"],
    "EXPLAIN": ["EXPLAIN SELECT 1"],
    "EXISTS": ["EXISTS TABLE events"],
    "WATCH": ["WATCH v"],
    "MOVE": ["MOVE USER u TO local_directory"],
}


@pytest.mark.parametrize(("construct", "sql"), [(c, s) for c, forms in WRITES.items() for s in forms])
def test_every_write_ddl_and_admin_form_is_refused(construct: str, sql: str) -> None:
    assert _construct(sql) == construct


def test_refused_writes_leave_the_warehouse_as_it_was(warehouse: Warehouse) -> None:
    warehouse.insert_events([{"event_id": "e1", "ontology_id": "fo:PageView", "project": "p", "source": "s"}])
    before = warehouse.table_counts()
    for forms in WRITES.values():
        for sql in forms:
            _refused(warehouse, sql)
    assert warehouse.table_counts() == before
    assert set(_names(warehouse, "SELECT name FROM system.tables WHERE database = currentDatabase()")) == OWN_TABLES


@pytest.mark.parametrize(("sql", "construct"), [
    ("SELECT 1 SETTINGS max_threads = 1", "SETTINGS"),
    ("SELECT * FROM events LIMIT 1 SETTINGS final = 0", "SETTINGS"),
    ("SELECT * FROM (SELECT * FROM events SETTINGS final = 0)", "SETTINGS"),
    ("SELECT 1 UNION ALL SELECT 2 SETTINGS readonly = 0", "SETTINGS"),
    ("SELECT 1 FORMAT JSON", "FORMAT"),
    ("SELECT 1 UNION ALL SELECT 2 FORMAT TabSeparated", "FORMAT"),
    ("SELECT * FROM (SELECT 1 FORMAT JSON)", "FORMAT"),
    ("SELECT 1 INTO OUTFILE '/tmp/x'", "INTO OUTFILE"),
    ("SELECT 1 INTO /* c */ OUTFILE '/tmp/x' TRUNCATE", "INTO OUTFILE"),
    ("select * from events into outfile 'x' and stdout", "INTO OUTFILE"),
    ("SELECT {p:String}", "query parameter"),
    ("SELECT * FROM {t:Identifier}", "query parameter"),
])
def test_settings_format_outfile_and_parameters_are_refused(sql: str, construct: str) -> None:
    assert _construct(sql) == construct


def test_into_outfile_writes_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    target = tmp_path / "out.tsv"
    assert _refused(warehouse, f"SELECT * FROM events INTO OUTFILE '{target}'").construct == "INTO OUTFILE"
    assert not target.exists()


# Dictionaries, functions that read the outside world, system tables


@pytest.mark.parametrize(("sql", "construct"), [
    ("SELECT dictGet('d', 'v', toUInt64(1))", "function dictGet"),
    ("SELECT dictGetString('d', 'v', toUInt64(1))", "function dictGetString"),
    ("SELECT dictGetOrDefault('d', 'v', 1, 'x')", "function dictGetOrDefault"),
    ("SELECT DICTHAS('d', 1)", "function DICTHAS"),
    ("SELECT dictIsIn('d', 1, 2)", "function dictIsIn"),
    ("SELECT joinGet('db.join_table', 'v', 1)", "function joinGet"),
    ("SELECT regionToName(toUInt32(1))", "function regionToName"),
    ("SELECT * FROM system.dictionaries", "table system.dictionaries"),
])
def test_dictionaries_are_refused(sql: str, construct: str) -> None:
    assert _construct(sql) == construct


def test_dictionary_table_function_is_refused() -> None:
    assert "dictionary" in _construct("SELECT * FROM dictionary('d')")
    assert _construct("SELECT * FROM events JOIN dictionary('d') AS x USING (event_id)") == "unparsable SQL"


def test_functions_that_read_outside_the_query_are_refused(warehouse: Warehouse) -> None:
    rows = warehouse.query("SELECT name, alias_to, categories FROM system.functions")
    assert len(rows) > 1000
    by_name = {r["name"].lower(): r for r in rows}
    must = {r["name"] for r in rows
            if r["categories"] in {"Dictionary", "Embedded Dictionary", "AI", "Introspection"}
            or r["name"].lower() in DENIED_FUNCTIONS or r["name"].lower().startswith(DENIED_FUNCTION_PREFIXES)}
    must |= {r["name"] for r in rows if r["alias_to"] and r["alias_to"] in must}  # hostname → hostName
    assert {"file", "getSetting", "getServerSetting", "hostName", "hostname", "currentUser", "user", "dictGet",
            "joinGet", "aiGenerate", "notIn", "globalIn", "sleep", "showCertificate", "logTrace"} <= must
    for name in sorted(must):
        # sqlglot names some its own way (current_user → CURRENT_USER) and cannot parse `in(…)` at all
        named = {f"function {name}".lower(), "unparsable sql"}
        assert _construct(f"SELECT {name}('x')").lower() in named, name
        assert _construct(f"SELECT arrayMap(x -> {name}(x), ['a']) FROM events").lower() in named, name
    assert {n for n in DENIED_FUNCTIONS if n not in by_name} <= {"catboostevaluate", "modelevaluate"}


def test_a_table_name_passed_to_the_functional_in_is_refused() -> None:
    assert _construct("SELECT notIn(1, system.users)") == "function notIn"
    assert _construct("SELECT globalNotNullIn(1, system.users)") == "function globalNotNullIn"


@pytest.mark.parametrize("sql", [
    "SELECT 1 WHERE 'default' IN system.users",
    "SELECT 1 WHERE 'default' IN (system.users)",
    "SELECT 1 WHERE 'default' IN ((system.users))",
    "SELECT 1 WHERE 'default' GLOBAL NOT IN system.users",
    "SELECT 1 WHERE 'default' IN other_database.events",
    "SELECT 1 WHERE 'default' IN unknown_table",
])
def test_a_table_named_after_in_must_be_a_warehouse_table(sql: str) -> None:
    assert _construct(sql).startswith("table ")


def test_user_defined_functions_are_refused(warehouse: Warehouse) -> None:
    # SQL UDFs are engine-wide in chdb: created and dropped here, around the check
    warehouse._command("CREATE FUNCTION fo_test_udf AS (x) -> concat(x, 'y')")
    try:
        assert "fo_test_udf" in warehouse.read_scope().denied_functions
        assert _refused(warehouse, "SELECT fo_test_udf('x')").construct == "function fo_test_udf"
    finally:
        warehouse._command("DROP FUNCTION IF EXISTS fo_test_udf")
    assert "fo_test_udf" not in warehouse.read_scope().denied_functions


def test_system_tables_outside_the_allow_list_are_refused(warehouse: Warehouse) -> None:
    names = _names(warehouse, "SELECT name FROM system.tables WHERE database = 'system' ORDER BY name")
    assert {"users", "settings", "processes", "grants", "numbers", "dictionaries", "disks"} <= set(names)
    refused = [n for n in names if n not in SYSTEM_TABLES]
    for name in refused:
        assert _construct(f"SELECT * FROM system.{name}") == f"table system.{name}"
        assert _construct(f"SELECT * FROM events JOIN `system`.`{name}` AS s ON 1") == f"table system.{name}"
    assert _construct("SELECT * FROM information_schema.tables") == "table information_schema.tables"
    assert _construct("SELECT * FROM INFORMATION_SCHEMA.COLUMNS") == "table INFORMATION_SCHEMA.COLUMNS"
    assert _construct("SELECT * FROM other_database.events") == "table other_database.events"
    assert _construct("SELECT * FROM not_a_warehouse_table") == "table not_a_warehouse_table"
    assert _construct('SELECT * FROM "system.users"') == "table system.users"
    assert _construct("SELECT * FROM default.system.users") == "table default.system.users"


# Statement boundaries, comments, case and quoting


@pytest.mark.parametrize(("sql", "construct"), [
    ("SELECT 1; DROP TABLE events", "multiple statements"),
    ("SELECT 1;; SELECT 2", "multiple statements"),
    ("SELECT 1 -- comment\n; DROP TABLE events", "multiple statements"),
    ("/* SELECT */ DROP TABLE events", "DROP"),
    ("-- SELECT 1\nDROP TABLE events", "DROP"),
    ("SELECT 1 # a comment to sqlglot, not to ClickHouse\n, file('/etc/passwd')", "function file"),
    ("SELECT 1 #\n FROM file('/etc/passwd', 'RawBLOB')", "table function file"),
    ("sElEcT * FrOm FiLe('/etc/passwd')", "table function FiLe"),
    ("SELECT * FROM `file`('/etc/passwd')", "table function file"),
    ('SELECT * FROM "file"(\'/etc/passwd\')', "table function file"),
    ("SELECT `file`('/etc/passwd')", "function file"),
    ("SELECT * FROM `system`.`users`", "table system.users"),
    ('SELECT * FROM "system"."users"', "table system.users"),
    ("SELEC 1", "SELEC"),
    ("SELECT FROM WHERE", "unparsable SQL"),
    ("SELECT * FROM values()", "unparsable SQL"),
    ("", "empty query"),
    (" ; ", "empty query"),
    ("; SELECT 1", "multiple statements"),
    ("WITH b AS (SELECT * FROM a), a AS (SELECT 1) SELECT * FROM b", "table a"),
])
def test_statement_and_comment_tricks_are_refused(sql: str, construct: str) -> None:
    assert _construct(sql) == construct


def test_comments_are_dropped_from_what_runs(warehouse: Warehouse) -> None:
    assert check_read_only("SELECT 1 AS x /* ; DROP TABLE events */ -- ; DROP", SCOPE) == "SELECT 1 AS x"
    assert check_read_only("SELECT 1 AS x;", SCOPE) == "SELECT 1 AS x"  # one trailing ; is one statement
    assert warehouse.read_only_query("SELECT 1 AS x /* ; DROP TABLE events */") == [{"x": 1}]
    assert "events" in warehouse.table_counts()


# What still works: analytics over the warehouse tables, deduplicated


TS = datetime(2026, 3, 4, 5, 0, 0, tzinfo=UTC)


@pytest.fixture
def filled(warehouse: Warehouse) -> Warehouse:
    events = [{"event_id": f"e-{i}", "ts": TS.replace(minute=i), "ontology_id": "fo:PageView",
               "project": "shop" if i < 4 else "blog", "source": "posthog", "thread_id": f"th-{i % 2}",
               "attrs": {"n": i}} for i in range(6)]
    warehouse.insert_events(events)
    warehouse.insert_events(events[:2])  # re-inserted ids: FINAL keeps one row each
    warehouse.insert_facts([{"kind": "change_applied", "subject": f"prop-{i}", "project": "shop",
                             "thread_id": f"th-{i}", "ontology_id": "fo:ChangeApplied", "ts": TS} for i in range(2)])
    return warehouse


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT count() AS n FROM events", [{"n": 6}]),
    ("SELECT project, count() AS n FROM events GROUP BY project ORDER BY project",
     [{"project": "blog", "n": 2}, {"project": "shop", "n": 4}]),
    ("SELECT f.subject, count() AS n FROM events AS e JOIN facts AS f ON e.thread_id = f.thread_id "
     "GROUP BY f.subject ORDER BY f.subject", [{"subject": "prop-0", "n": 3}, {"subject": "prop-1", "n": 3}]),
    ("WITH shop AS (SELECT * FROM events WHERE project = 'shop') SELECT count() AS n FROM shop", [{"n": 4}]),
    ("WITH 3 AS cutoff SELECT count() AS n FROM events WHERE JSONExtractUInt(attrs, 'n') >= cutoff", [{"n": 3}]),
    ("SELECT max(n) AS m FROM (SELECT JSONExtractUInt(attrs, 'n') AS n FROM {db}.events)", [{"m": 5}]),
    ("SELECT event_id FROM events WHERE thread_id IN (SELECT thread_id FROM facts WHERE subject = 'prop-1') "
     "ORDER BY event_id", [{"event_id": "e-1"}, {"event_id": "e-3"}, {"event_id": "e-5"}]),
    ("SELECT event_id, row_number() OVER (PARTITION BY project ORDER BY ts) AS r FROM events "
     "WHERE project = 'blog' ORDER BY ts", [{"event_id": "e-4", "r": 1}, {"event_id": "e-5", "r": 2}]),
    ("SELECT project, sum(count()) OVER () AS total FROM events GROUP BY project ORDER BY project",
     [{"project": "blog", "total": 6}, {"project": "shop", "total": 6}]),
    ("SELECT * FROM (SELECT 'e' AS t, count() AS n FROM events UNION ALL SELECT 'f' AS t, count() AS n "
     "FROM facts) ORDER BY t", [{"t": "e", "n": 6}, {"t": "f", "n": 2}]),
    ("SELECT project FROM events INTERSECT DISTINCT SELECT project FROM facts", [{"project": "shop"}]),
    ("SELECT DISTINCT project FROM events EXCEPT SELECT project FROM facts", [{"project": "blog"}]),
    ("SELECT x FROM events ARRAY JOIN [1, 2] AS x WHERE event_id = 'e-0' ORDER BY x", [{"x": 1}, {"x": 2}]),
    ("SELECT countIf(project = 'shop') AS s, uniqExact(thread_id) AS t FROM events FINAL", [{"s": 4, "t": 2}]),
    ("SELECT toStartOfHour(ts) AS h, count() AS n FROM events GROUP BY h", [{"h": TS, "n": 6}]),
    ("SELECT event_id FROM events WHERE project = 'blog' ORDER BY event_id LIMIT 1 BY project",
     [{"event_id": "e-4"}]),
    ("SELECT dummy FROM system.one", [{"dummy": 0}]),
    ("SELECT 0 IN (system.one) AS hit", [{"hit": 1}]),
    ("WITH ['th-0'] AS wanted SELECT count() AS n FROM events WHERE thread_id IN wanted", [{"n": 3}]),
    ("SELECT count() AS n FROM events WHERE thread_id IN (SELECT thread_id FROM facts)", [{"n": 6}]),
])
def test_analytical_selects_return_the_right_rows(filled: Warehouse, sql: str, expected: list[dict]) -> None:
    assert filled.read_only_query(sql.replace("{db}", filled.database)) == expected


def test_system_tables_and_columns_show_only_the_warehouse_tables(warehouse: Warehouse) -> None:
    # the module's other tests keep their own databases in the same chdb engine: none of them may show
    assert len(_names(warehouse, "SELECT DISTINCT database AS name FROM system.tables")) > 1
    tables = warehouse.read_only_query("SELECT database, name FROM system.tables ORDER BY name")
    assert {r["name"] for r in tables} == OWN_TABLES and {r["database"] for r in tables} == {warehouse.database}
    columns = warehouse.read_only_query("SELECT DISTINCT database, table FROM system.columns AS c")
    assert {r["table"] for r in columns} == OWN_TABLES and {r["database"] for r in columns} == {warehouse.database}
    joined = warehouse.read_only_query("SELECT t.name AS name, count() AS n FROM system.tables AS t "
                                       "JOIN system.columns AS c ON c.table = t.name WHERE t.name = 'events' "
                                       "GROUP BY t.name")
    assert joined == [{"name": "events", "n": 10}]


def test_a_table_qualified_by_another_database_is_refused(warehouse: Warehouse) -> None:
    scope = warehouse.read_scope()
    assert scope.database == warehouse.database and scope.tables == OWN_TABLES
    assert warehouse.read_only_query(f"SELECT count() AS n FROM {warehouse.database}.events") == [{"n": 0}]
    assert _refused(warehouse, "SELECT count() FROM default.events").construct == "table default.events"


# Defence in depth: the operator connection itself is readonly=1


def test_the_engine_refuses_writes_on_the_operator_connection_even_unchecked(warehouse: Warehouse,
                                                                           tmp_path: Path) -> None:
    operator = warehouse._operator_client()  # what read_only_query runs on, here used without the check
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t")
    target = tmp_path / "written.txt"
    for sql in (f"INSERT INTO FUNCTION file('{target}', 'RawBLOB') SELECT 'x'",
                f"SELECT * FROM file('{secret}', 'RawBLOB')",
                "SELECT * FROM url('http://127.0.0.1:9/', 'RawBLOB')",
                "INSERT INTO events (event_id) VALUES ('x')",
                "CREATE TABLE t (a Int8) ENGINE = Memory",
                "CREATE TEMPORARY TABLE t (a Int8)",
                "DROP TABLE events",
                "SELECT 1 SETTINGS final = 0",
                "SELECT 1 SETTINGS readonly = 0"):
        with pytest.raises(ClickHouseError, match="READONLY"):
            operator.query(sql)
    assert not target.exists()
    assert list(operator.query("SELECT getSetting('readonly') AS r, getSetting('final') AS f").named_results()) == [
        {"r": 1, "f": True}]
    assert warehouse.table_counts()["events"] == 0  # the writer and the plane's reader are unaffected
    assert warehouse.insert_events([{"event_id": "e", "ontology_id": "fo:PageView", "project": "p",
                                     "source": "s"}]) == 1


def test_chdb_still_runs_scalar_file_and_into_outfile_under_readonly(warehouse: Warehouse, tmp_path: Path) -> None:
    # Why the parser is the first line: if this starts failing, chdb enforces more; update _engine.py's comment.
    if warehouse.backend != "chdb":
        pytest.skip("a chdb limitation")
    operator = warehouse._operator_client()
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t")
    assert list(operator.query(f"SELECT file('{secret}') AS s").named_results()) == [{"s": "s3cr3t"}]
    out = tmp_path / "out.tsv"
    operator.command(f"SELECT 1 INTO OUTFILE '{out}'")
    assert out.read_text() == "1\n"


def test_a_closed_warehouse_refuses_operator_reads(warehouse: Warehouse) -> None:
    assert warehouse.read_only_query("SELECT 1 AS x") == [{"x": 1}]
    warehouse.close()
    with pytest.raises(WarehouseError, match="is closed"):
        warehouse.read_only_query("SELECT 1 AS x")


def test_the_refusal_names_the_construct_the_query_and_what_to_do() -> None:
    with pytest.raises(QueryRefusedError) as caught:
        check_read_only("SELECT * FROM file('/etc/passwd', 'RawBLOB')", SCOPE)
    error = caught.value
    assert isinstance(error, WarehouseError) and error.construct == "table function file"
    assert "table function file is not allowed" in str(error) and "file('/etc/passwd'" in str(error)
    assert "single SELECT" in str(error)
