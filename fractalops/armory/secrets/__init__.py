"""Secret refs, backends (local file, OpenBao KV v2), resolution at the adapter boundary, redaction."""

from fractalops.armory.secrets.backend import SecretBackend, open_secret_backend
from fractalops.armory.secrets.local import LocalSecretBackend
from fractalops.armory.secrets.redact import MIN_REDACT_LEN, Redactor, StreamRedactor
from fractalops.armory.secrets.refs import SCHEME, SecretRef, parse_secret_ref
from fractalops.armory.secrets.resolve import SecretEnv, missing_secret_refs, resolve_asset_secrets

__all__ = [
    "SCHEME",
    "MIN_REDACT_LEN",
    "SecretRef",
    "parse_secret_ref",
    "SecretBackend",
    "LocalSecretBackend",
    "OpenBaoSecretBackend",
    "open_secret_backend",
    "SecretEnv",
    "resolve_asset_secrets",
    "missing_secret_refs",
    "Redactor",
    "StreamRedactor",
]


def __getattr__(name: str) -> object:
    # hvac is imported only when the OpenBao backend is actually used.
    if name == "OpenBaoSecretBackend":
        from fractalops.armory.secrets.openbao import OpenBaoSecretBackend

        return OpenBaoSecretBackend
    raise AttributeError(name)
