"""`fractalops` sub-command groups: each module here exposes `app: typer.Typer` and `NAME: str`.

The root CLI mounts every module it finds, so adding a command group is one new file.
"""
