"""`fractalops adapters`: list process-adapter kinds and launch one Armory asset on a task, locally.

`run` opens an isolated workspace of the target repo, runs the asset under containment and prints the redacted
result and diff. It never changes the target: apply a diff only through an approved proposal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fractalops.adapters.protocol import AdapterTask, adapter_kinds
from fractalops.adapters.run import run_asset
from fractalops.cli.commands._client import fail
from fractalops.errors import AccessBlockedError, AdapterTimeoutError, FractalOpsError

__all__ = ["NAME", "app"]

NAME = "adapters"
app = typer.Typer(help="Process adapters: launch an Armory asset in an isolated workspace.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON document.")]


@app.command("kinds")
def kinds(as_json: JsonFlag = False) -> None:
    """The asset kinds that have a process adapter."""
    names = list(adapter_kinds())
    if as_json:
        typer.echo(json.dumps({"kinds": names}))
        return
    table = Table("kind")
    for name in names:
        table.add_row(name)
    Console().print(table)


def _changes(pairs: list[str], changes_file: Path | None) -> list[dict[str, str]]:
    changes: list[dict[str, str]] = []
    if changes_file is not None:
        data = json.loads(changes_file.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise typer.BadParameter(f"{changes_file} must hold a JSON list of {{'path', 'content'}}")
        changes.extend(data)
    for pair in pairs:
        path, sep, source = pair.partition("=")
        if not sep or not path:
            raise typer.BadParameter(f"--change {pair!r} must be PATH=FILE (the new content is read from FILE)")
        changes.append({"path": path, "content": Path(source).read_text(encoding="utf-8")})
    return changes


@app.command("run")
def run(
    asset_id: Annotated[str, typer.Argument(help="asset_id or role from the Armory.")],
    intent: Annotated[str, typer.Option("--intent", "-i", help="What the launch should achieve.")],
    target: Annotated[Path, typer.Option("--target", "-t", help="The git repository to work on.")] = Path("."),
    change: Annotated[list[str] | None, typer.Option("--change", "-c", help="PATH=FILE, repeatable.")] = None,
    changes_file: Annotated[Path | None, typer.Option("--changes", help="JSON list of {path, content}.")] = None,
    prompt: Annotated[str, typer.Option("--prompt", help="Prompt for CLI models (default: the intent).")] = "",
    base: Annotated[str | None, typer.Option("--base", help="Base commit (default HEAD).")] = None,
    armory_file: Annotated[Path | None, typer.Option("--armory", help="Armory file.")] = None,
    show_diff: Annotated[bool, typer.Option("--diff", help="Print the diff after the summary.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Launch one asset; exit 0 when it produced a change, 1 when it did not, 2 on error or access blocked."""
    from fractalops.armory.assets import load_armory

    console = Console(stderr=True)
    try:
        asset = load_armory(armory_file).resolve(asset_id, where="fractalops adapters run")
        task = AdapterTask(intent=intent, agent="cli", changes=tuple(_changes(change or [], changes_file)),
                           prompt=prompt)
        on_event = None if as_json else (lambda e: console.print(f"[dim]{e.get('seq')}[/] {e.get('type')}: "
                                                                 f"{str(e.get('text', ''))[:200]}", markup=True,
                                                                 highlight=False))
        result = run_asset(asset, task, target, on_event=on_event, base=base)
    except AccessBlockedError as exc:
        fail(exc, as_json, 2, error_kind="access_blocked", missing=exc.missing)
    except AdapterTimeoutError as exc:
        fail(exc, as_json, 2, error_kind="timeout")
    except (FractalOpsError, OSError, ValueError) as exc:
        fail(exc, as_json, 2, error_kind=type(exc).__name__)
    if as_json:
        typer.echo(json.dumps({"ok": result.succeeded, **result.to_dict()}))
    else:
        table = Table("field", "value")
        table.add_row("asset", f"{result.asset_id} ({result.kind})")
        table.add_row("base_commit", result.base_commit)
        table.add_row("exit_code", str(result.result.exit_code))
        table.add_row("duration_s", f"{result.result.duration_s:.2f}")
        table.add_row("changed_files", "\n".join(result.changed_files) or "(none)")
        table.add_row("final_message", result.result.final_message[:500])
        table.add_row("succeeded", "yes" if result.succeeded else f"no: {result.failure_reason}")
        Console().print(table)
        if show_diff and result.diff:
            typer.echo(result.diff, nl=False)
    raise typer.Exit(0 if result.succeeded else 1)
