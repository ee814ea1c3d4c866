from __future__ import annotations

import pytest

from fractalops.errors import SemanticsError
from fractalops.planes.steward._ddl import parse_ddl

SCHEMA = """-- shop schema
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  email VARCHAR(200) NOT NULL, -- pii; not a statement end
  country CHAR(2)
);
CREATE TABLE IF NOT EXISTS public.orders (
  id BIGINT, customer_id INTEGER REFERENCES customers(id), amount NUMERIC(10, 2),
  note TEXT DEFAULT 'a;b', PRIMARY KEY (id)
);
CREATE INDEX idx_orders ON public.orders(id);
/* revenue per customer;
   spans lines */
CREATE OR REPLACE VIEW customer_revenue AS
SELECT c.id AS customer_id, c.country, SUM(o.amount) AS revenue
FROM customers c JOIN public.orders o ON o.customer_id = c.id
GROUP BY c.id, c.country;
CREATE MATERIALIZED VIEW by_country AS
WITH r AS (SELECT * FROM customer_revenue) SELECT r.country FROM r, customers;
INSERT INTO customers VALUES (1, 'x;y', 'de');
"""


def test_tables_views_and_lineage() -> None:
    datasets, notes = parse_ddl(SCHEMA, "schema.sql")
    by = {d.name: d for d in datasets}
    assert list(by) == ["customers", "public.orders", "customer_revenue", "by_country"]
    cust = by["customers"]
    assert [(c.name, c.native_type, c.nullable, c.primary_key) for c in cust.columns] == [
        ("id", "INTEGER", False, True), ("email", "VARCHAR(200)", False, False), ("country", "CHAR(2)", True, False)]
    orders = by["public.orders"]
    assert [c.name for c in orders.columns] == ["id", "customer_id", "amount", "note"]
    assert orders.columns[0].primary_key and orders.columns[2].native_type == "NUMERIC(10, 2)"
    assert by["customer_revenue"].kind == "view" and by["customer_revenue"].line == 14
    assert by["customer_revenue"].upstreams == ["customers", "public.orders"]
    assert [c.name for c in by["customer_revenue"].columns] == ["customer_id", "country", "revenue"]
    assert by["by_country"].upstreams == ["customer_revenue", "customers"]  # the CTE `r` is not a dataset
    assert notes == ["schema.sql:11: skipped CREATE INDEX statement", "schema.sql:20: skipped INSERT statement"]


@pytest.mark.parametrize(
    ("sql", "line", "what"),
    [
        ("CREATE TABLE t (\n  a INT,\n  b\n);", 3, "has no type"),
        ("CREATE TABLE ok (a INT);\n\nCREATE TABLE t (\n  a INT,\n  b INT\n;", 3, "never closed"),
        ("CREATE TABLE ok (a INT);\nCREAT TABLE x (a int);", 2, "unrecognized statement"),
        ("CREATE VIEW v AS\n  SELECT 1;", 1, "reads from no table"),
        ("CREATE VIEW v\n  SELECT * FROM t;", 2, "needs 'AS SELECT"),
        ("CREATE TABLE t (a INT);\n-- ok\nCREATE TABLE u (a INT, b TEXT DEFAULT 'oops);", 3, "unterminated string"),
        ("CREATE TABLE t (a INT);\n/* never closed\nCREATE TABLE u (a INT);", 2, "unterminated /* comment"),
        ("CREATE TABLE t (a INT,);", 1, "stray comma"),
        ("CREATE TABLE t (a INT);\nCREATE TABLE t (b INT);", 2, "already defined at line 1"),
        ("CREATE TABLE t;", 1, "no column list"),
    ],
)
def test_corrupt_ddl_names_file_and_line(sql: str, line: int, what: str) -> None:
    with pytest.raises(SemanticsError) as err:
        parse_ddl(sql, "sql/bad.sql")
    assert f"sql/bad.sql at line {line}" in str(err.value)
    assert what in str(err.value)
