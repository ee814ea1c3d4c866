"""`compile_hud`: seven public lines + continuity, deterministic, bounded, honest about proof."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from fractalops.hud import HUD_MAX_BYTES, AgentHUD, compile_hud, new_summary, observe

PUBLIC = {"intent", "route", "launch_action", "proof_path", "recovery_rule", "completion_proof", "live_signal", "continuity"}


def test_exactly_the_public_lines():
    compiled = compile_hud(new_summary("add a page"), resumed=False)
    assert set(compiled.hud.model_dump()) == PUBLIC
    assert compiled.hud.continuity == "fresh"
    assert set(compiled.diagnostics.model_dump()) == {"continuity_reason", "first_tool_family", "launch_contract_status",
                                                      "bindings_note", "features_note", "plan_note"}
    assert compile_hud(new_summary("x"), resumed=True).hud.continuity == "resume"


def test_deterministic():
    summary = observe(new_summary("add a page"), agent="forge", event="proposed prop_1")
    assert compile_hud(summary, resumed=False) == compile_hud(summary, resumed=False)


def test_completion_proof_is_open_until_all_three_planes():
    summary = new_summary("x")
    assert compile_hud(summary, resumed=False).hud.completion_proof == "open: missing graph, warehouse, chronicle"
    summary["proof"] = {"graph": "https://fractalops.dev/id/p1", "warehouse": "fact-1"}
    text = compile_hud(summary, resumed=False).hud.completion_proof
    assert text.startswith("open: missing chronicle") and "graph=" in text
    summary["proof"]["chronicle"] = "chronicle://main/0#sha256:ab"
    assert compile_hud(summary, resumed=False).hud.completion_proof.startswith("closed: graph=")


def test_summary_stays_flat_as_history_grows():
    summary = new_summary("x")
    sizes = []
    for i in range(2000):
        summary = observe(summary, agent="signal", event=f"event {i} " * 20)
        if i in (10, 1999):
            sizes.append(len(json.dumps(summary)))
    assert sizes[1] - sizes[0] < 64, "only counters grow (by digits), never with history"


@given(
    intent=st.text(max_size=5000),
    event=st.text(max_size=5000),
    missing=st.lists(st.text(max_size=300), max_size=20),
    route=st.sampled_from(["change", "observe", "access_recovery"]),
    pending=st.integers(0, 10**6),
)
def test_any_input_compiles_within_2kb(intent, event, missing, route, pending):
    summary = new_summary(intent)
    summary.update(route=route, blocked_on=missing, proposals_pending=pending, launch_asset=event[:500])
    summary = observe(summary, agent="atlas", event=event)
    hud = compile_hud(summary, resumed=bool(pending % 2)).hud
    assert len(hud.model_dump_json().encode()) <= HUD_MAX_BYTES
    AgentHUD.model_validate_json(hud.model_dump_json())
