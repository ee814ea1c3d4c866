"""`FRACTALOPS_POSTHOG_KEYS`: project API key → project, checked when it is read."""

from __future__ import annotations

import pytest

from fractalops.errors import ConfigError
from fractalops.planes.telemetry import posthog_projects, project_for_key


def test_keys_map_to_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_POSTHOG_KEYS", '{"phc_a": "shop", "phc_b": "blog"}')
    assert posthog_projects() == {"phc_a": "shop", "phc_b": "blog"}
    assert project_for_key("phc_b") == "blog" and project_for_key("phc_c") is None and project_for_key("") is None
    monkeypatch.delenv("FRACTALOPS_POSTHOG_KEYS")
    assert project_for_key("phc_a") is None


@pytest.mark.parametrize("value, fragment", [
    ("{", "not valid JSON"), ('["phc_a"]', "must be a JSON object"), ('{"": "shop"}', "empty project API key"),
    ('{"phc_a": "no spaces"}', "not a project name"), ('{"phc_a": 3}', "not a project name"),
])
def test_a_malformed_table_says_what_is_wrong(monkeypatch: pytest.MonkeyPatch, value: str, fragment: str) -> None:
    monkeypatch.setenv("FRACTALOPS_POSTHOG_KEYS", value)
    with pytest.raises(ConfigError, match=fragment):
        posthog_projects()
