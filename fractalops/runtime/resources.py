"""The stores a squad process writes through (proposals, live outbox, Armory, planes), opened once per data dir."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fractalops.armory import Armory, Constitution, armory_path, load_armory
from fractalops.armory.secrets import SecretBackend, open_secret_backend
from fractalops.planes.evidence import ChronicleLog, open_chronicle
from fractalops.planes.live import LiveOutbox
from fractalops.planes.proposals import ProposalStore
from fractalops.planes.semantics import SemanticGraph, get_semantics
from fractalops.planes.warehouse import Warehouse, get_warehouse
from fractalops.settings import data_dir

__all__ = ["SquadResources", "squad_resources"]


@dataclass(frozen=True)
class SquadResources:
    root: Path
    proposals: ProposalStore
    outbox: LiveOutbox

    @property
    def lock_dir(self) -> Path:
        return self.root / "locks"

    def armory(self) -> Armory:
        """The Armory named by `FRACTALOPS_ARMORY` (re-read when the file changes)."""
        path = armory_path()
        return _armory(path, path.stat().st_mtime_ns if path.exists() else 0)

    def constitution(self) -> Constitution:
        return _constitution()

    def secrets(self) -> SecretBackend:
        return open_secret_backend()

    def semantics(self) -> SemanticGraph:
        return get_semantics(self.root)

    def warehouse(self) -> Warehouse:
        """This process's warehouse (the server process is its single writer)."""
        return get_warehouse()

    def chronicle(self) -> ChronicleLog:
        return _chronicle(self.root)

    def put_payload(self, value: Any) -> str:
        """Store a JSON payload in the evidence WORM artifact store; thread state carries only the returned ref."""
        blob = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        return self.chronicle().artifacts.put(blob, "application/json").uri

    def get_payload(self, ref: str) -> Any:
        """The payload behind `ref`, re-hashed against it on read."""
        return json.loads(self.chronicle().artifacts.get(ref))


@lru_cache(maxsize=8)
def _chronicle(root: Path) -> ChronicleLog:
    return open_chronicle(root)


@lru_cache(maxsize=4)
def _armory(path: Path, mtime_ns: int) -> Armory:
    return load_armory(path)


@lru_cache(maxsize=1)
def _constitution() -> Constitution:
    return Constitution.load()


@lru_cache(maxsize=8)
def _open(root: Path) -> SquadResources:
    return SquadResources(root=root, proposals=ProposalStore.in_data_dir(root), outbox=LiveOutbox.in_data_dir(root))


def squad_resources() -> SquadResources:
    return _open(data_dir())
