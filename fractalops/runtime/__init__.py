"""The squad runtime: the agent contract, typed phases and routes, state, run input, resources and the step wrapper.

Agents are written against this package and nothing above it; graphs wire agents with `agent_node` and route
with `next_node`.
"""

from fractalops.runtime.phases import NEXT_NODE, TRANSITIONS, Phase, Route, next_node, successors
from fractalops.runtime.resources import SquadResources, squad_resources
from fractalops.runtime.run_input import (
    MAX_CHANGE_BYTES,
    RunOptions,
    check_git_repo,
    intent_from_input,
    run_options,
    validate_run_input,
)
from fractalops.runtime.spec import AgentContext, AgentFn, AgentResult, AgentSpec
from fractalops.runtime.state import SquadContext, SquadInput, SquadOutput, SquadState, keep_recent
from fractalops.runtime.step import agent_node, current_hud, make_context, record_step, thread_id_of

__all__ = [
    "AgentContext",
    "AgentFn",
    "AgentResult",
    "AgentSpec",
    "MAX_CHANGE_BYTES",
    "NEXT_NODE",
    "Phase",
    "Route",
    "RunOptions",
    "SquadContext",
    "SquadInput",
    "SquadOutput",
    "SquadResources",
    "SquadState",
    "TRANSITIONS",
    "agent_node",
    "check_git_repo",
    "current_hud",
    "intent_from_input",
    "keep_recent",
    "make_context",
    "next_node",
    "record_step",
    "run_options",
    "squad_resources",
    "successors",
    "thread_id_of",
    "validate_run_input",
]
