"""Identities: role classes (the access table's columns), who may approve, and the project a key sends as."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fractalops.api_keys import load_api_keys
from fractalops.errors import ConfigError
from fractalops.identity import Principal, principal_from_user


def _p(*roles: str, project: str = "") -> Principal:
    return Principal("x", frozenset(roles), project)


def test_role_classes_machines_first() -> None:
    assert _p("operator").role_class == "operator" and _p("approver").role_class == "reviewer"
    assert _p().role_class == "none" and _p("agent", "operator").role_class == "agent"
    assert _p("telemetry").role_class == "telemetry"
    assert _p("telemetry", "operator", "approver").role_class == "telemetry", "the telemetry role confines a key"


def test_a_telemetry_key_never_approves_and_sees_no_thread() -> None:
    sender = _p("telemetry", "approver")
    assert not sender.can_approve() and not sender.sees_all_threads and sender.is_telemetry_sender
    assert _p("approver").can_approve()


def test_the_project_telemetry_lands_in() -> None:
    assert _p("telemetry", project="shop").telemetry_project == "shop"
    assert _p("operator").telemetry_project == "default"
    user = {"identity": "collector", "roles": ["telemetry"], "project": "shop"}
    assert principal_from_user(user) == Principal("collector", frozenset({"telemetry"}), "shop")
    assert principal_from_user({"identity": "a", "roles": []}).project == ""


def test_key_entries_may_name_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_API_KEYS", json.dumps({
        "k1": {"identity": "collector", "roles": ["telemetry"], "project": "shop"},
        "k2": {"identity": "alice", "roles": ["operator"]}}))
    keys = load_api_keys(tmp_path)
    assert keys["k1"].project == "shop" and keys["k2"].project == ""
    for bad in ("has space", 7, "../etc"):
        monkeypatch.setenv("FRACTALOPS_API_KEYS", json.dumps({"k": {"identity": "c", "roles": [], "project": bad}}))
        with pytest.raises(ConfigError, match="project"):
            load_api_keys(tmp_path)
