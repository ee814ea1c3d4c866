"""The embedded default backend: one JSON file, owner-only permissions, atomic locked writes."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fractalops.armory.secrets.refs import SecretRef, parse_secret_ref
from fractalops.errors import SecretError, SecretNotFoundError

__all__ = ["LocalSecretBackend"]

_log = logging.getLogger(__name__)
_FORMAT_VERSION = 1


class LocalSecretBackend:
    """Secrets in `<data dir>/secrets/local.json` (file 0600, directory 0700).

    Good for a single machine; the values sit unencrypted on disk, protected by file permissions only.
    A file or directory with wider permissions is tightened back and a warning is logged.
    """

    name = "local"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"LocalSecretBackend(path={str(self.path)!r})"

    def get(self, ref: SecretRef | str) -> str:
        ref = parse_secret_ref(ref)
        value = self._read().get(str(ref))
        if value is None:
            raise SecretNotFoundError(str(ref), f"secret {ref} not found in the local backend {self.path}; "
                                                f"store it with `fractalops secrets put {ref}`")
        return value

    def put(self, ref: SecretRef | str, value: str) -> None:
        ref = parse_secret_ref(ref)
        if not isinstance(value, str) or value == "":
            raise SecretError(f"refusing to store an empty or non-text value at {ref}")
        with self._locked():
            data = self._read()
            data[str(ref)] = value
            self._write(data)

    def delete(self, ref: SecretRef | str) -> None:
        ref = parse_secret_ref(ref)
        with self._locked():
            data = self._read()
            if str(ref) not in data:
                raise SecretNotFoundError(str(ref), f"secret {ref} not found in the local backend {self.path}")
            del data[str(ref)]
            self._write(data)

    def list_refs(self) -> list[SecretRef]:
        return sorted(parse_secret_ref(text) for text in self._read())

    def ping(self) -> None:
        self._ensure_dir()
        self._read()

    def _ensure_dir(self) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._tighten(directory, 0o700)

    def _tighten(self, path: Path, mode: int) -> None:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:
            _log.warning("secret store %s had permissions %o; tightened to %o", path, current, mode)
            os.chmod(path, mode)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_dir()
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        self._ensure_dir()
        self._tighten(self.path, 0o600)
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SecretError(f"local secret store {self.path} is unreadable ({exc.__class__.__name__}); "
                              "restore it from a backup or move it aside") from None
        secrets = doc.get("secrets") if isinstance(doc, dict) else None
        if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
            raise SecretError(f"local secret store {self.path} has an unexpected shape; "
                              "expected {\"version\": 1, \"secrets\": {ref: value}}")
        return secrets

    def _write(self, secrets: dict[str, str]) -> None:
        body = json.dumps({"version": _FORMAT_VERSION, "secrets": dict(sorted(secrets.items()))}, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=".local.", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
