"""`fractalops proposals list|show`: what was proposed, approved (by whom, on which hash) and executed.

`show` ends with the proposal's diff exactly as stored, so `fractalops proposals show ID > change.patch` applies.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fractalops.cli import _output as out
from fractalops.cli.commands._client import JsonFlag, emit_json, server

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(
    thread: Annotated[str | None, typer.Option(metavar="THREAD_ID", help="Only this thread's proposals.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Proposals you may see, newest last."""
    rows = server().get("/proposals", thread_id=thread)["proposals"]
    if as_json:
        emit_json(rows)
        return
    out.table(["proposal", "thread", "kind", "class", "status", "approved by", "commit"], [
        (p["id"], p["thread_id"], p["kind"], p["approval_class"], p["status"],
         ", ".join(sorted({a["identity"] for a in p["approvals"] if a["decision"] in ("approve", "policy")})),
         (p.get("executed") or {}).get("commit", "")) for p in rows])


@app.command()
def show(proposal_id: str, as_json: JsonFlag = False) -> None:
    """One proposal: what was proposed, every decision, what was executed, and its diff (byte for byte)."""
    p = server().get(f"/proposals/{proposal_id}")
    if as_json:
        emit_json(p)
        return
    out.echo(f"{p['id']} {p['kind']} on {p['target']} · {p['approval_class']} · {p['status']}", style="bold")
    out.echo(f"proposed by {p['author_agent']} ({p['principal']}) at {p['proposed'].get('at')}: "
             f"{p['proposed'].get('content_hash')}")
    for a in p["approvals"]:
        out.echo(f"  {a['at']}  {a['decision']:8} {a['identity']:20} {a['content_hash']}  {a['message']}")
    if p.get("executed"):
        out.echo(f"executed: commit {p['executed']['commit']} at {p['executed']['at']} ({p['executed']['applied_hash']})")
    if diff := p["payload"].get("diff", ""):
        out.echo()
        out.raw(diff)
