"""The `zai` preset: GLM models through Z.ai's Anthropic-compatible endpoint, driven by the Claude Code CLI.

There is no Z.ai CLI package to install here, and Z.ai documents its coding plan for Claude Code, so `zai` is a
named preset of the claude adapter rather than a separate program:

- argv, stream-json parsing, final message and auth-failure classification are the claude adapter's
  (`fractalops.adapters.claude.ClaudeAdapter`, imported lazily on first use);
- `ANTHROPIC_BASE_URL` comes from the asset's plain `env` (default `ZAI_DEFAULT_BASE_URL`);
- the token comes from the asset's secret bound to `ANTHROPIC_AUTH_TOKEN` (resolved by `run_asset` only);
  an asset without that secret is a configuration error, and `ANTHROPIC_API_KEY` is never set for it
  (Claude Code would prefer it over the token);
- the GLM model name comes from the asset's `ANTHROPIC_MODEL` (or `CLAUDE_MODEL`) plain env, if any.

Example asset::

    - asset_id: zai.default
      kind: zai
      command: ["claude"]
      env: {ANTHROPIC_BASE_URL: https://api.z.ai/api/anthropic, ANTHROPIC_MODEL: glm-4.6}
      secrets: {ANTHROPIC_AUTH_TOKEN: openbao://kv/fractalops/zai#api_key}
"""

from __future__ import annotations

from typing import Any, ClassVar

from fractalops.adapters.protocol import AdapterTask
from fractalops.errors import ConfigError

__all__ = ["ZAI_DEFAULT_BASE_URL", "ZAI_TOKEN_ENV", "ZaiAdapter"]

ZAI_DEFAULT_BASE_URL = "https://api.z.ai/api/anthropic"
"""Z.ai's Anthropic-compatible base URL, used when the asset's env does not set `ANTHROPIC_BASE_URL`."""
ZAI_TOKEN_ENV = "ANTHROPIC_AUTH_TOKEN"
"""The env name the asset must bind its Z.ai key secret to."""


class ZaiAdapter:
    """The claude adapter with Z.ai's base URL and bearer token."""

    kind: ClassVar[str] = "zai"
    """Adapter kind an asset names to use this adapter."""

    def __init__(self) -> None:
        from fractalops.adapters.claude import ClaudeAdapter

        self._claude = ClaudeAdapter()

    def build_argv(self, asset: Any, task: AdapterTask, workspace: Any) -> list[str]:
        """The claude argv (`claude -p ... --output-format stream-json`), started with cwd = workspace."""
        self._check(asset)
        return self._claude.build_argv(asset, task, workspace)

    def build_env(self, asset: Any, task: AdapterTask, workspace: Any) -> dict[str, str]:
        """Claude's env plus `ANTHROPIC_BASE_URL` (asset env or the Z.ai default)."""
        self._check(asset)
        env = dict(self._claude.build_env(asset, task, workspace))
        env["ANTHROPIC_BASE_URL"] = (getattr(asset, "env", None) or {}).get("ANTHROPIC_BASE_URL", ZAI_DEFAULT_BASE_URL)
        return env

    def parse_line(self, line: str) -> dict[str, Any] | None:
        return self._claude.parse_line(line)

    def final_message(self, events: list[dict[str, Any]], stdout: str) -> str:
        return self._claude.final_message(events, stdout)

    def classify_failure(self, result: Any) -> str | None:
        reason = self._claude.classify_failure(result)
        if reason is None:
            return None
        return f"zai (GLM via Claude Code): {reason}; check the `{ZAI_TOKEN_ENV}` secret holds a valid Z.ai key"

    @staticmethod
    def _check(asset: Any) -> None:
        secrets = getattr(asset, "secrets", None) or {}
        env = getattr(asset, "env", None) or {}
        if ZAI_TOKEN_ENV not in secrets:
            raise ConfigError(f"zai asset {getattr(asset, 'asset_id', '?')!r} has no `{ZAI_TOKEN_ENV}` secret; add "
                              f"secrets: {{{ZAI_TOKEN_ENV}: openbao://kv/fractalops/zai#api_key}}")
        if "ANTHROPIC_API_KEY" in secrets or "ANTHROPIC_API_KEY" in env:
            raise ConfigError(f"zai asset {getattr(asset, 'asset_id', '?')!r} sets ANTHROPIC_API_KEY, which Claude "
                              f"Code prefers over {ZAI_TOKEN_ENV}; remove it")
