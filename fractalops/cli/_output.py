"""Private: what the CLI prints. Rich formatting on a terminal; plain, unwrapped, untruncated text when piped.

Piped output is for `grep`, `cut` and `git apply`: tables become aligned columns (two spaces apart, no borders,
nothing cut or wrapped), styles are dropped, and `raw` writes text byte for byte.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Annotated, Any

import typer

__all__ = ["JsonFlag", "is_tty", "emit_json", "echo", "table", "fields", "raw"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document for machines.")]
"""The one `--json` option every command takes."""


def is_tty() -> bool:
    return sys.stdout.isatty()


@lru_cache(maxsize=1)
def _console() -> Any:
    from rich.console import Console  # only on a terminal: rich costs start-up time

    return Console(highlight=False)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def echo(text: str = "", style: str | None = None) -> None:
    """One line; `style` (a rich style such as "bold green") applies only on a terminal."""
    if is_tty():
        from rich.text import Text

        _console().print(Text(text, style=style or ""), soft_wrap=True)
    else:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()  # long-running commands (`serve`) are read line by line through pipes


def _plain(cell: Any) -> str:
    return " ".join(str("" if cell is None else cell).splitlines())


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    """A table: rich on a terminal (cells fold, never cut), aligned plain columns with a header when piped."""
    rows = [[_plain(c) for c in row] for row in rows]
    if is_tty():
        from rich.table import Table

        grid = Table(*columns, title=title)
        for column in grid.columns:
            column.overflow = "fold"
        for row in rows:
            grid.add_row(*row)
        _console().print(grid)
        return
    if title:
        sys.stdout.write(f"{title}:\n")
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    for row in [list(columns), *rows]:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def fields(pairs: Iterable[tuple[str, Any]], title: str | None = None) -> None:
    """Named values, one per line (a panel on a terminal)."""
    pairs = [(k, _plain(v)) for k, v in pairs]
    if is_tty():
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        for key, value in pairs:
            grid.add_row(Text(key, style="bold"), Text(value, overflow="fold"))
        _console().print(Panel(grid, title=title, expand=False) if title else grid)
        return
    if title:
        sys.stdout.write(f"{title}:\n")
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        sys.stdout.write(f"  {(key + ':').ljust(width + 1)} {value}\n")


def raw(text: str) -> None:
    """`text` exactly as it is (a diff that must still apply): UTF-8 bytes, no wrapping, no added newline."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()
