"""Resolve an asset's secret refs into environment values at the adapter boundary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from fractalops.armory.secrets.backend import SecretBackend
from fractalops.armory.secrets.refs import parse_secret_ref
from fractalops.errors import AccessBlockedError, SecretNotFoundError

__all__ = ["SecretEnv", "missing_secret_refs", "resolve_asset_secrets"]


class _HasSecrets(Protocol):
    asset_id: str
    secrets: Mapping[str, str]


class SecretEnv(dict[str, str]):
    """Env name → resolved value. A plain dict whose `repr`/`str` show the names only, never the values."""

    def __repr__(self) -> str:
        return f"SecretEnv({sorted(self)})"

    __str__ = __repr__


def resolve_asset_secrets(asset: _HasSecrets, backend: SecretBackend) -> SecretEnv:
    """Every `asset.secrets` entry (env name → ref) resolved through `backend`.

    Raises `AccessBlockedError` with `missing=[refs]` naming every ref the backend lacks and the command
    that fixes each; a backend outage (`SecretError`) propagates unchanged.
    """
    resolved = SecretEnv()
    missing: list[str] = []
    for env_name, ref_text in sorted(asset.secrets.items()):
        ref = parse_secret_ref(ref_text)
        try:
            resolved[env_name] = backend.get(ref)
        except SecretNotFoundError:
            missing.append(str(ref))
    if missing:
        fixes = "; ".join(f"`fractalops secrets put {ref}`" for ref in missing)
        raise AccessBlockedError(
            f"asset {asset.asset_id!r} cannot launch: the {backend.name} secret backend lacks "
            f"{', '.join(missing)}; fix with {fixes} (value on stdin)",
            missing=missing,
        )
    return resolved


def missing_secret_refs(asset: _HasSecrets, backend: SecretBackend) -> list[str]:
    """The refs of `asset` the backend lacks (sorted), for a launch-contract check; values are discarded.

    An empty list means `resolve_asset_secrets` will succeed (barring a later change or outage).
    """
    missing: list[str] = []
    for ref_text in sorted(set(asset.secrets.values())):
        ref = parse_secret_ref(ref_text)
        try:
            backend.get(ref)
        except SecretNotFoundError:
            missing.append(str(ref))
    return missing
