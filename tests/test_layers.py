"""The layer diagram of DESIGN.md is an `import-linter` contract (`[tool.importlinter]` in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_imports_follow_the_layers() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_private_modules_stay_in_their_package() -> None:
    """`_`-modules are imported only from inside the package that holds them."""
    offenders = []
    for path in (ROOT / "fractalops").rglob("*.py"):
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        for number, line in enumerate(path.read_text().splitlines(), 1):
            words = line.split()
            if len(words) < 2 or words[0] not in ("from", "import") or not words[1].startswith("fractalops."):
                continue
            module = words[1]
            parts = module.split(".")
            private = [i for i, part in enumerate(parts) if part.startswith("_") and not part.startswith("__")]
            if private and not package.startswith(".".join(parts[: private[0]])):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "private modules used outside their package:\n" + "\n".join(offenders)
