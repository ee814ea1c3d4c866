"""Generate a small (or large) sample project for demos, tests and the benchmark."""

from __future__ import annotations

from pathlib import Path

import yaml

__all__ = ["write_sample_project"]


def write_sample_project(root: Path, *, datasets: int = 4, rows: int = 20, project: str = "shop",
                         unmapped_term: bool = False) -> Path:
    """Write CSV files, a DDL file with tables and views (views join tables), and `fractalops-steward.yaml`.

    About half the datasets are DDL tables, a quarter views (each joining two earlier tables), the rest CSV.
    Returns `root`.
    """
    root = Path(root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "sql").mkdir(parents=True, exist_ok=True)
    n_tables = max(2, datasets // 2)
    n_views = max(1, datasets // 4)
    n_csv = max(1, datasets - n_tables - n_views)
    ddl = ["-- generated sample schema"]
    owners: dict[str, list[str]] = {}
    terms: dict[str, list[str]] = {}
    for i in range(n_tables):
        name = f"orders_{i}" if i % 2 == 0 else f"customers_{i}"
        ddl.append(
            f"CREATE TABLE {name} (\n  id BIGINT PRIMARY KEY,\n  customer_id INTEGER NOT NULL,\n"
            f"  email VARCHAR(200),\n  amount NUMERIC(12, 2),\n  created_at TIMESTAMP\n);"
        )
        owners[name] = [f"owner{i % 7}@example.com"]
        terms[name] = ["Order" if i % 2 == 0 else "Kunde"]
        terms[f"{name}.id"] = ["Identifier"]
        terms[f"{name}.email"] = ["Mail"]
        terms[f"{name}.amount"] = ["Revenue"]
    table_names = [f"orders_{i}" if i % 2 == 0 else f"customers_{i}" for i in range(n_tables)]
    for j in range(n_views):
        a, b = table_names[j % n_tables], table_names[(j + 1) % n_tables]
        name = f"revenue_view_{j}"
        ddl.append(
            f"CREATE VIEW {name} AS\nSELECT a.id, a.email, SUM(b.amount) AS total\n"
            f"FROM {a} a JOIN {b} b ON b.customer_id = a.id\nGROUP BY a.id, a.email;"
        )
        owners[name] = ["team:analytics"]
        terms[f"{name}.total"] = ["Revenue"]
    if n_views > 1:
        ddl.append(f"CREATE VIEW revenue_rollup AS SELECT v.total FROM revenue_view_0 v, {table_names[0]};")
        owners["revenue_rollup"] = ["team:analytics"]
    (root / "sql" / "schema.sql").write_text("\n\n".join(ddl) + "\n", encoding="utf-8")
    for k in range(n_csv):
        name = f"events_{k}"
        lines = ["event_id,user_email,amount,happened_at,is_test"]
        for r in range(rows):
            lines.append(f"{r},user{r}@example.com,{r * 1.5:.2f},2026-01-{(r % 28) + 1:02d}T10:00:00Z,"
                         f"{'true' if r % 2 else 'false'}")
        (root / "data" / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        owners[name] = [f"owner{k % 5}@example.com"]
        terms[f"{name}.user_email"] = ["Mail"]
        if unmapped_term and k == 0:
            terms[name] = ["Widget"]
    config = {
        "project": project,
        "platform": "postgres",
        "owners": owners,
        "descriptions": {table_names[0]: "All orders, one row per order."},
        "terms": terms,
        "local_terms": {
            "Kunde": {"exactMatch": "fo:Customer"},
            "Mail": {"broadMatch": "fo:EmailAddress"},
        },
    }
    (root / "fractalops-steward.yaml").write_text(yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
    return root
