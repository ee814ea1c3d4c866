"""`cite_feature`: at most one feature, only where it changes the next action, never a stale one; the HUD says it
on the line it changes, within its 2 KB."""

from __future__ import annotations

import json

from fractalops.hud import HUD_MAX_BYTES, RECURRING_TIMEOUTS, cite_feature, compile_hud, new_summary

TIMEOUTS = "asset.adapter_timeouts_24h"
ENTITIES = {"agent": "forge", "asset": "codex.default"}


def test_a_recurring_timeout_is_cited_once_it_recurs() -> None:
    assert cite_feature({TIMEOUTS: RECURRING_TIMEOUTS - 1}, ENTITIES, route="change") == {}
    assert cite_feature({TIMEOUTS: 3, "agent.open_proposals": 9}, ENTITIES, route="change") == {
        "name": TIMEOUTS, "entity": "codex.default", "value": 3}


def test_nothing_is_cited_where_it_changes_nothing_or_is_stale() -> None:
    assert cite_feature({TIMEOUTS: 3}, ENTITIES, route="observe") == {}, "a read-only run launches no adapter"
    assert cite_feature({TIMEOUTS: 3}, ENTITIES, route="change", stale=[TIMEOUTS]) == {}
    assert cite_feature({TIMEOUTS: None}, ENTITIES, route="change") == {}


def test_the_recovery_rule_names_the_cited_timeout_within_the_hud_budget() -> None:
    summary = new_summary("x" * 5000)
    plain = compile_hud(summary, resumed=False).hud.recovery_rule
    summary["cited_feature"] = {"name": TIMEOUTS, "entity": "a" * 500, "value": 10**9}
    hud = compile_hud(summary, resumed=False).hud
    assert hud.recovery_rule.startswith("recurring timeout: aaa") and len(hud.recovery_rule) <= 240
    assert len(json.dumps(hud.model_dump()).encode()) <= HUD_MAX_BYTES
    summary["cited_feature"] = {"name": TIMEOUTS, "entity": "codex.default", "value": 2}
    assert compile_hud(summary, resumed=False).hud.recovery_rule == (
        "recurring timeout: codex.default timed out 2x in 24 h -> raise its timeout_s in the Armory or bind another "
        "asset; " + plain)
    summary["route"] = "access_recovery"
    assert "recurring timeout" not in compile_hud(summary, resumed=False).hud.recovery_rule


def test_diagnostics_carry_the_features_note() -> None:
    summary = new_summary("x")
    summary["features_note"] = "missing agent.open_proposals (no online store at /d/features/online.db)"
    assert compile_hud(summary, resumed=False).diagnostics.features_note == summary["features_note"]
