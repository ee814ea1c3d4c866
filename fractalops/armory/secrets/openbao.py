"""OpenBao / Vault KV v2 backend built on `hvac` (token or AppRole auth)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import hvac
import hvac.exceptions
import requests

from fractalops.armory.secrets.refs import SecretRef, parse_secret_ref
from fractalops.errors import SecretError, SecretNotFoundError

__all__ = ["OpenBaoSecretBackend"]


class OpenBaoSecretBackend:
    """Each ref is one field of one KV v2 secret: `openbao://<mount>/<path>#<field>`.

    `put` and `delete` rewrite the whole secret at `<path>` (KV v2 versions hold all fields), keeping the
    other fields; deleting the last field deletes the secret's metadata and all versions.
    """

    name = "openbao"

    def __init__(
        self,
        addr: str,
        token: str | None = None,
        role_id: str | None = None,
        secret_id: str | None = None,
        namespace: str | None = None,
        mounts: Iterable[str] = ("kv",),
        timeout_s: float = 10.0,
    ) -> None:
        self.addr = addr.rstrip("/")
        self.namespace = namespace
        self.mounts = tuple(m.strip("/") for m in mounts if m.strip("/"))
        """Scopes `list_refs` scans: a KV v2 mount, optionally with a path prefix (`kv` or `kv/fractalops`)."""
        self._client = hvac.Client(url=self.addr, token=token, namespace=namespace, timeout=timeout_s)
        if role_id:
            try:
                self._client.auth.approle.login(role_id=role_id, secret_id=secret_id)
            except (hvac.exceptions.VaultError, requests.RequestException) as exc:
                raise self._error("AppRole login failed", exc) from None
        elif not token:
            raise SecretError(f"OpenBao at {self.addr}: no credentials; set FRACTALOPS_OPENBAO_TOKEN or "
                              "FRACTALOPS_OPENBAO_ROLE_ID and FRACTALOPS_OPENBAO_SECRET_ID")

    def __repr__(self) -> str:
        return f"OpenBaoSecretBackend(addr={self.addr!r}, namespace={self.namespace!r}, mounts={self.mounts!r})"

    def _error(self, what: str, exc: BaseException) -> SecretError:
        return SecretError(f"OpenBao at {self.addr}: {what} ({exc.__class__.__name__}: {exc}); check the "
                           "address, the token or AppRole credentials and the policy on the mount")

    def _read_fields(self, ref: SecretRef) -> dict[str, Any] | None:
        try:
            response = self._client.secrets.kv.v2.read_secret_version(
                path=ref.path, mount_point=ref.mount, raise_on_deleted_version=True
            )
        except hvac.exceptions.InvalidPath:
            return None
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise self._error(f"reading {ref.mount}/{ref.path} failed", exc) from None
        data = (response or {}).get("data", {}).get("data")
        return dict(data) if isinstance(data, dict) else None

    def get(self, ref: SecretRef | str) -> str:
        ref = parse_secret_ref(ref)
        fields = self._read_fields(ref)
        if fields is None or ref.field not in fields:
            raise SecretNotFoundError(str(ref), f"secret {ref} not found in OpenBao at {self.addr}; "
                                                f"store it with `fractalops secrets put {ref}`")
        value = fields[ref.field]
        return value if isinstance(value, str) else str(value)

    def put(self, ref: SecretRef | str, value: str) -> None:
        ref = parse_secret_ref(ref)
        if not isinstance(value, str) or value == "":
            raise SecretError(f"refusing to store an empty or non-text value at {ref}")
        fields = self._read_fields(ref) or {}
        fields[ref.field] = value
        self._write(ref, fields)

    def delete(self, ref: SecretRef | str) -> None:
        ref = parse_secret_ref(ref)
        fields = self._read_fields(ref)
        if fields is None or ref.field not in fields:
            raise SecretNotFoundError(str(ref), f"secret {ref} not found in OpenBao at {self.addr}")
        del fields[ref.field]
        if fields:
            self._write(ref, fields)
            return
        try:
            self._client.secrets.kv.v2.delete_metadata_and_all_versions(path=ref.path, mount_point=ref.mount)
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise self._error(f"deleting {ref.mount}/{ref.path} failed", exc) from None

    def _write(self, ref: SecretRef, fields: dict[str, Any]) -> None:
        try:
            self._client.secrets.kv.v2.create_or_update_secret(path=ref.path, secret=fields, mount_point=ref.mount)
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise self._error(f"writing {ref.mount}/{ref.path} failed", exc) from None

    def list_refs(self) -> list[SecretRef]:
        refs: list[SecretRef] = []
        for scope in self.mounts:
            mount, _, prefix = scope.partition("/")
            for path in self._walk(mount, f"{prefix}/" if prefix else ""):
                fields = self._read_fields(SecretRef(mount=mount, path=path, field="_"))
                refs.extend(SecretRef(mount=mount, path=path, field=name) for name in sorted(fields or {}))
        return sorted(refs)

    def _walk(self, mount: str, prefix: str) -> list[str]:
        try:
            response = self._client.secrets.kv.v2.list_secrets(path=prefix, mount_point=mount)
        except hvac.exceptions.InvalidPath:
            return []
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise self._error(f"listing {mount}/{prefix} failed", exc) from None
        paths: list[str] = []
        for key in (response or {}).get("data", {}).get("keys", []):
            if key.endswith("/"):
                paths.extend(self._walk(mount, prefix + key))
            else:
                paths.append(prefix + key)
        return paths

    def ping(self) -> None:
        try:
            authenticated = self._client.is_authenticated()
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise self._error("unreachable", exc) from None
        if not authenticated:
            raise SecretError(f"OpenBao at {self.addr}: the token is not valid; renew FRACTALOPS_OPENBAO_TOKEN "
                              "or the AppRole credentials")
