"""The data dir is private to the server's user: 0700 directories and 0600 files, checked (and fixed) at start.

Checkpoints, proposals, the live outbox, the dev runtime's pickles, API keys, secrets and evidence all live under
`FRACTALOPS_DATA_DIR`; any of them readable by another local user leaks diffs under review, keys or secrets. A looser
mode found at start is tightened and logged as a warning naming the path and both modes.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["secure_data_dir", "PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE"]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_LOG = logging.getLogger("fractalops.server")
_SKIP = {"demo-workspace"}
"""Git workspaces the demo creates inside the data dir keep git's own modes (they are the user's repos)."""


def _tighten(path: Path, want: int, fixed: list[Path]) -> None:
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & ~want:
        os.chmod(path, mode & want)
        fixed.append(path)
        _LOG.warning("fractalops: %s was mode %o, now %o (data dir files are private)", path, mode, mode & want)


def secure_data_dir(root: Path) -> list[Path]:
    """Tighten every directory to 0700 and every file to 0600 under `root`; return the paths that were looser."""
    fixed: list[Path] = []
    if not root.exists():
        return fixed
    _tighten(root, PRIVATE_DIR_MODE, fixed)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) == root and d in _SKIP)]
        for name in dirnames:
            if not (Path(dirpath) / name).is_symlink():
                _tighten(Path(dirpath) / name, PRIVATE_DIR_MODE, fixed)
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                _tighten(path, PRIVATE_FILE_MODE, fixed)
    return fixed
