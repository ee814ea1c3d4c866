"""The `fractalops` command line: a thin client of the LangGraph server.

It talks to the server through `langgraph-sdk` and the server's own routes, never to its planes; the exceptions
are offline commands on something the user names (`proof check BUNDLE`, `armory check --file F`). Root commands
(`run`, `threads`, `show`, `approve`, ..., `login`, `serve`) live in `commands/squad.py`, `commands/login.py` and
`commands/serve.py`; each command group is one module of `commands/` listed in `GROUPS`, imported only when used.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fractalops.cli._config import DEFAULT_URL, set_url_flag
from fractalops.cli._root import LAZY_GROUPS, RootGroup
from fractalops.cli.commands import login, serve, squad

__all__ = ["app", "GROUPS"]

GROUPS: dict[str, str] = {
    "adapters": "Process adapters: the asset kinds the server can launch.",
    "armory": "Runtime assets agents bind to (the server's Armory; --file checks a file offline).",
    "connectors": "Connectors between the Armory and its systems of record.",
    "evidence": "Chronicle evidence: verify the log, show entries, print proofs.",
    "features": "FeaturePlane: the compact features agents read (served by Feast), with freshness.",
    "proof": "The proof path: graph + warehouse + Chronicle, per plane.",
    "proposals": "Proposals: proposed, approved and executed records.",
    "secrets": "Secrets in the server's backend (values go in on stdin and never come out).",
    "semantics": "Global ontology, lineage and the local→global term map.",
    "steward": "RDF steward: datasets, owners, schemas, domain terms and impact paths.",
    "telemetry": "Telemetry intake (PostHog, OTLP): counts, quarantine, mappings for unknown names, replay.",
    "warehouse": "The ClickHouse warehouse: events, facts, steward reports, proof facts.",
}
"""Command group -> one-line help; the group is `fractalops.cli.commands.<name>.app`."""
LAZY_GROUPS.update({name: (f"fractalops.cli.commands.{name}", text) for name, text in GROUPS.items()})

app = typer.Typer(
    name="fractalops",
    help="FractalOps Harness: run governed agent squads and approve their proposals.",
    cls=RootGroup,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    suggest_commands=False,
)


def _version(value: bool) -> None:
    if value:
        from fractalops import __version__

        typer.echo(f"fractalops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    url: Annotated[str | None, typer.Option("--url", metavar="URL", help=(
        f"The server (default: FRACTALOPS_SERVER_URL, then `url` in the config file `fractalops login` writes, "
        f"then {DEFAULT_URL})."))] = None,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    set_url_flag(url)


for _module in (squad, login, serve):
    app.add_typer(_module.app)

if __name__ == "__main__":
    app()
