"""`fractalops` commands: root commands (`squad`, `login`, `serve`) and one module per command group.

A command group module exposes `app: typer.Typer`; `fractalops.cli.main.GROUPS` names it (with its one-line help)
and the root imports it only when the group is used.
"""
