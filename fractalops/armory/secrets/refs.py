"""Secret references: `openbao://<mount>/<path>#<field>`, the only form a secret takes outside a backend."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fractalops.errors import SecretError

__all__ = ["SCHEME", "SecretRef", "parse_secret_ref"]

SCHEME = "openbao://"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_EXAMPLE = "openbao://kv/fractalops/codex#api_key"


@dataclass(frozen=True, order=True)
class SecretRef:
    """One field of one KV v2 secret in a mount."""

    mount: str
    """The KV v2 mount point, e.g. `kv`."""
    path: str
    """The secret's path inside the mount, `/`-separated, e.g. `fractalops/codex`."""
    field: str
    """The key inside the secret's data, e.g. `api_key`."""

    def __str__(self) -> str:
        return f"{SCHEME}{self.mount}/{self.path}#{self.field}"

    @property
    def uri(self) -> str:
        """The canonical `openbao://` text of this ref."""
        return str(self)


def _fail(text: str, why: str) -> SecretError:
    return SecretError(f"malformed secret ref {text!r}: {why}; expected the form {_EXAMPLE}")


def parse_secret_ref(text: str | SecretRef) -> SecretRef:
    """Parse `openbao://<mount>/<path>#<field>`; raise `SecretError` saying what is wrong with a bad ref."""
    if isinstance(text, SecretRef):
        return text
    if not isinstance(text, str):
        raise _fail(repr(text), f"a ref is a string, not {type(text).__name__}")
    if not text.startswith(SCHEME):
        raise _fail(text, f"it must start with {SCHEME!r}")
    body = text[len(SCHEME):]
    if body.count("#") != 1:
        raise _fail(text, "it needs exactly one '#' before the field name")
    location, field = body.split("#")
    if not field or not _SEGMENT.match(field):
        raise _fail(text, "the field after '#' must be a non-empty name of letters, digits, '.', '_' or '-'")
    parts = location.split("/")
    if len(parts) < 2:
        raise _fail(text, "it needs a mount and a path (`<mount>/<path>`)")
    for part in parts:
        if not part:
            raise _fail(text, "empty path segment (doubled, leading or trailing '/')")
        if part in (".", "..") or not _SEGMENT.match(part):
            raise _fail(text, f"path segment {part!r} must be letters, digits, '.', '_' or '-' (not '.'/'..')")
    return SecretRef(mount=parts[0], path="/".join(parts[1:]), field=field)
