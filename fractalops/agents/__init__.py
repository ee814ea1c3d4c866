"""Squad agents: one `AgentSpec` per job (one file per agent); `registry` lists the squad's jobs and the packs."""

from fractalops.agents.registry import AGENTS, CORE_8, PACKS, SQUAD_JOBS, check_agent_names, resolve_packs

__all__ = ["AGENTS", "CORE_8", "PACKS", "SQUAD_JOBS", "check_agent_names", "resolve_packs"]
