"""The FeaturePlane for operators: `GET /features/{agent}` (the features an agent's steps read), and the server's
materialization timer and Feast warm-up, started off the start path.

Operators and reviewers only (`features` in `server.access.POLICY`): the features aggregate every thread's
proposals, approvals and failures (no payloads, no identities); agents read theirs in-process, in their context.
`?asset=<asset_id>` picks the asset; by default it is the one the agent's work runs on with the Armory's bindings
(its own, or forge's for an agent that runs native), as in a step.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fractalops.armory.assets import NATIVE_ASSET
from fractalops.errors import FractalOpsError
from fractalops.planes.features import (
    FEATURES,
    FeatureRepo,
    feature_reader,
    feature_settings,
    materializer,
    read_marker,
)
from fractalops.planes.warehouse import get_warehouse
from fractalops.runtime import squad_resources
from fractalops.server.route_io import failure
from fractalops.server.routing import error, guarded_route

__all__ = ["routes", "start_features", "stop_features", "ROUTE_BUDGET_S"]

ROUTE_BUDGET_S = 10.0
"""An operator's read may wait for Feast to load (~4 s after a start); a step never waits over its own budget."""
_LOG = logging.getLogger("fractalops.server")


def _asset_for(agent: str, asked: str | None) -> str:
    armory = squad_resources().armory()
    if asked:
        if asked != NATIVE_ASSET.asset_id and asked not in armory.asset_ids():
            raise LookupError(f"unknown asset {asked!r}; the Armory has: {', '.join(armory.asset_ids())}, native")
        return asked
    own = armory.bind(agent).asset_id
    return own if own != NATIVE_ASSET.asset_id else armory.bind("forge").asset_id


def features(request: Request) -> JSONResponse:
    # The agent list only when asked: the app's import stays light.
    from fractalops.agents.registry import AGENTS

    agent = request.path_params["agent"]
    if agent not in AGENTS:
        return error(404, f"unknown agent {agent!r}; agents: {', '.join(AGENTS)}")
    try:
        asset = _asset_for(agent, request.query_params.get("asset"))
        max_age = feature_settings().max_age_s
    except LookupError as exc:
        return error(404, str(exc.args[0]))
    except FractalOpsError as exc:
        return failure(422, exc)
    root = squad_resources().root
    read = feature_reader(root).read(agent, asset, budget_s=ROUTE_BUDGET_S, max_age_s=max_age)
    marker = read_marker(FeatureRepo.in_data_dir(root))
    worker = materializer(root)
    rows: list[dict[str, Any]] = []
    for spec in FEATURES:
        status = "missing" if spec.qualified in read.missing else "stale" if spec.qualified in read.stale else "fresh"
        rows.append({"name": spec.qualified, "value": read.get(spec.qualified), "status": status,
                     "description": spec.description})
    return JSONResponse({
        "agent": agent, "asset": asset, "as_of": read.as_of, "fresh": read.fresh, "features": rows,
        "missing": list(read.missing), "stale": list(read.stale), "reason": read.reason,
        "materialization": {"generation": marker.generation if marker else 0, "as_of": marker.as_of if marker else "",
                            "last_error": worker.last_error},
    })


async def start_features() -> None:
    """The server's lifespan: the materialization timer, and Feast loaded for reads when a store exists already.

    Both run in worker threads (Feast is never imported on the start path); a fresh data dir loads Feast only with
    its first materialization (the first closed proof, or the first tick).
    """
    settings = await asyncio.to_thread(feature_settings)
    root = (await asyncio.to_thread(squad_resources)).root
    marker = await asyncio.to_thread(read_marker, FeatureRepo.in_data_dir(root))
    if marker is not None:
        feature_reader(root).warm()
    if settings.interval_s:
        age = (datetime.now(UTC) - datetime.fromisoformat(marker.as_of)).total_seconds() if marker else 0.0
        first = max(0.0, settings.interval_s - age) if marker else settings.interval_s
        materializer(root).start_timer(settings.interval_s, get_warehouse, first_in=first)
        _LOG.info("fractalops: features materialize every %.0f s (next in %.0f s)", settings.interval_s, first)


async def stop_features() -> None:
    root = (await asyncio.to_thread(squad_resources)).root
    started = time.monotonic()
    await asyncio.to_thread(materializer(root).stop, 5.0)
    _LOG.info("fractalops: feature materializer stopped in %.1f s", time.monotonic() - started)


routes = [guarded_route("/features/{agent}", features, "features")]
"""Mounted by `server.app`."""
