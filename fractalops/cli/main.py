"""The `fractalops` command line: every server call goes through `langgraph-sdk`."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from fractalops.cli import commands

app = typer.Typer(
    name="fractalops",
    help="FractalOps Harness: run governed agent squads and approve their proposals.",
    no_args_is_help=True,
    add_completion=False,
)


def _mount_command_groups() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if getattr(module, "ROOT", False):
            module.register(app)
        else:
            app.add_typer(module.app, name=module.NAME)


_mount_command_groups()

if __name__ == "__main__":
    app()
