"""PostHog project API keys → projects: `FRACTALOPS_POSTHOG_KEYS`, JSON `{"<project api key>": "<project>"}`.

PostHog clients authenticate with the project key in the body (`api_key`, or `token`); this table is what the
PostHog intake checks it against. Re-read whenever the variable's value changes.
"""

from __future__ import annotations

import hmac
import json
import os
from functools import lru_cache

from fractalops.errors import ConfigError
from fractalops.identity import is_project_name

__all__ = ["POSTHOG_KEYS_ENV", "posthog_projects", "project_for_key"]

POSTHOG_KEYS_ENV = "FRACTALOPS_POSTHOG_KEYS"


@lru_cache(maxsize=4)
def _parse(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{POSTHOG_KEYS_ENV} is not valid JSON ({exc}); expected "
                          '{"<project api key>": "<project>"}') from None
    if not isinstance(raw, dict):
        raise ConfigError(f'{POSTHOG_KEYS_ENV} must be a JSON object {{"<project api key>": "<project>"}}')
    for key, project in raw.items():
        if not key:
            raise ConfigError(f"{POSTHOG_KEYS_ENV} holds an empty project API key")
        if not is_project_name(project):
            raise ConfigError(f"{POSTHOG_KEYS_ENV}: key ...{key[-4:]} maps to {project!r}, which is not a project name "
                              "(1-128 letters, digits, '_', '.' or '-')")
    return dict(raw)


def posthog_projects() -> dict[str, str]:
    """The configured project keys (`ConfigError` when the variable is malformed)."""
    return _parse(os.environ.get(POSTHOG_KEYS_ENV, ""))


def project_for_key(presented: str) -> str | None:
    """The project of a presented project API key, compared in constant time against every configured key."""
    found = None
    for key, project in posthog_projects().items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            found = project
    return found
