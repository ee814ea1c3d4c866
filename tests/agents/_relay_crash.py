"""Run relay on one proposal and die (`os._exit(9)`) right after the tool call returned, before its record is written:
`python -m tests.agents._relay_crash <thread_id> <proposal_id>` (data dir and Armory from the environment)."""

from __future__ import annotations

import os
import sys

from fractalops.agents import relay
from fractalops.planes.proposals import ProposalStore
from fractalops.runtime import AgentContext, Phase
from fractalops.runtime.resources import squad_resources


def _die(*_: object, **__: object) -> None:
    os._exit(9)  # the process is gone: no exception handler, no finally, no later record


if __name__ == "__main__":
    thread_id, proposal_id = sys.argv[1], sys.argv[2]
    ProposalStore.mark_applied = _die  # type: ignore[method-assign]
    ctx = AgentContext(thread_id=thread_id, agent="relay", requester=None, workspace="", changes_ref="",
                       phase=Phase.APPLY, run=1, proposal_ids=[proposal_id], bindings={}, packs=[],
                       resources=squad_resources())
    relay.run(None, ctx)  # type: ignore[arg-type]
    sys.exit("relay returned: the crash was not reached")
