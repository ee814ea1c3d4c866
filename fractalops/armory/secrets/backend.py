"""The secret backend extension point and the choice of backend from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

from fractalops.armory.secrets.refs import SecretRef

__all__ = ["SecretBackend", "open_secret_backend"]


@runtime_checkable
class SecretBackend(Protocol):
    """Where secret values live. Implementations never log or `repr` a value."""

    name: str
    """Short backend name for operators (`local`, `openbao`)."""

    def get(self, ref: SecretRef | str) -> str:
        """The value at `ref`; raise `SecretNotFoundError` (carrying the ref) when absent."""
        ...

    def put(self, ref: SecretRef | str, value: str) -> None:
        """Create or replace the value at `ref`."""
        ...

    def delete(self, ref: SecretRef | str) -> None:
        """Remove the value at `ref`; raise `SecretNotFoundError` when absent."""
        ...

    def list_refs(self) -> list[SecretRef]:
        """Every ref the backend holds, sorted; never the values."""
        ...

    def ping(self) -> None:
        """Raise `SecretError` naming the backend when it is unreachable or unauthenticated."""
        ...


def open_secret_backend() -> SecretBackend:
    """OpenBao when `FRACTALOPS_OPENBAO_ADDR` is set, else the local file backend under the data dir.

    OpenBao auth: `FRACTALOPS_OPENBAO_TOKEN`, or AppRole via `FRACTALOPS_OPENBAO_ROLE_ID` and
    `FRACTALOPS_OPENBAO_SECRET_ID`; optional `FRACTALOPS_OPENBAO_NAMESPACE` and `FRACTALOPS_OPENBAO_MOUNTS`
    (comma-separated scopes that `list_refs` scans: a KV v2 mount, optionally with a path prefix, e.g.
    `kv/fractalops`; default `kv`). Scope it to what the harness owns so reconcile-ssot's `unused` is meaningful.
    """
    addr = os.environ.get("FRACTALOPS_OPENBAO_ADDR", "").strip()
    if addr:
        from fractalops.armory.secrets.openbao import OpenBaoSecretBackend

        mounts = [m.strip() for m in os.environ.get("FRACTALOPS_OPENBAO_MOUNTS", "kv").split(",") if m.strip()]
        return OpenBaoSecretBackend(
            addr,
            token=os.environ.get("FRACTALOPS_OPENBAO_TOKEN") or None,
            role_id=os.environ.get("FRACTALOPS_OPENBAO_ROLE_ID") or None,
            secret_id=os.environ.get("FRACTALOPS_OPENBAO_SECRET_ID") or None,
            namespace=os.environ.get("FRACTALOPS_OPENBAO_NAMESPACE") or None,
            mounts=mounts,
        )
    from fractalops.armory.secrets.local import LocalSecretBackend
    from fractalops.settings import data_dir

    return LocalSecretBackend(Path(data_dir()) / "secrets" / "local.json")
