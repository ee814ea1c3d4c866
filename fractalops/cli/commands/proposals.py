"""`fractalops proposals list|show`: what was proposed, approved (by whom, on which hash) and executed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fractalops.cli.commands._client import JsonFlag, call, console, emit_json, sdk

__all__ = ["NAME", "app"]

NAME = "proposals"
app = typer.Typer(help="Proposals: proposed, approved and executed records.", no_args_is_help=True)


@app.command("list")
def list_(
    thread: Annotated[str | None, typer.Option(help="Only this thread's proposals.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Proposals you may see, newest last."""
    path = f"/proposals?thread_id={thread}" if thread else "/proposals"
    rows = call(sdk().http.get, path, as_json=as_json)["proposals"]
    if as_json:
        emit_json(rows)
        return
    table = Table("proposal", "thread", "kind", "class", "status", "approved by", "commit", title="proposals")
    for p in rows:
        approvers = sorted({a["identity"] for a in p["approvals"] if a["decision"] in ("approve", "policy")})
        table.add_row(p["id"], p["thread_id"][:8], p["kind"], p["approval_class"], p["status"], ", ".join(approvers),
                      (p.get("executed") or {}).get("commit", "")[:12])
    console.print(table)


@app.command()
def show(proposal_id: str, as_json: JsonFlag = False) -> None:
    """One proposal: what was proposed, every decision, and what was executed."""
    p = call(sdk().http.get, f"/proposals/{proposal_id}", as_json=as_json)
    if as_json:
        emit_json(p)
        return
    console.print(f"[bold]{p['id']}[/] {p['kind']} on {p['target']} · {p['approval_class']} · [bold]{p['status']}[/]")
    console.print(f"proposed by {p['author_agent']} ({p['principal']}) at {p['proposed'].get('at')}: {p['proposed'].get('content_hash')}")
    for a in p["approvals"]:
        console.print(f"  {a['at']}  {a['decision']:8} {a['identity']:20} {a['content_hash'][:20]}…  {a['message']}")
    if p.get("executed"):
        console.print(f"executed: commit {p['executed']['commit']} at {p['executed']['at']} ({p['executed']['applied_hash']})")
    console.print(p["payload"].get("diff", ""), markup=False, highlight=False)
