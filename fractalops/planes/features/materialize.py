"""One materialization: read the facts, export the changed rows to Parquet, load them into the online store.

    facts (proposals, outbox, warehouse) -> feature rows -> Parquet (changed rows only) -> Feast materialize
    -> materialized.json (as of, generation, which online.db)

Feast runs here only (this module imports it lazily, and only the worker thread calls it). The whole history is
materialized again (Feast's `materialize` over the file offline store) when the online store is new, was deleted or
replaced (its inode differs from the marker's), or the views changed. Otherwise only the rows exported since the
previous materialization are loaded: an entity view's are written with `write_to_online_store` exactly as exported
(Feast's offline scan of a Parquet file costs ~70 ms of CPU per view, beside the squad in the same process), the
entity-less warehouse view is materialized over that window. When no row changed, Feast is
not called at all and only the marker moves (the features are as fresh as the facts just read). Which views need
loading is read from the exports (rows newer than the marker), so rows a failed run exported are loaded by the next.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fractalops.planes._atomic import atomic_write_text
from fractalops.planes.features.definitions import view_named
from fractalops.planes.features.facts import collect_facts, feature_rows, iso
from fractalops.planes.features.repo import FINGERPRINT, FeatureRepo, local_config
from fractalops.planes.live import LiveOutbox
from fractalops.planes.proposals import ProposalStore
from fractalops.planes.warehouse import WarehouseProtocol

__all__ = ["Materialization", "FeastHandle", "materialize_once", "read_marker"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Materialization:
    """What one materialization did; also the content of `materialized.json`."""

    generation: int
    """1 for the first materialization of this repository, +1 for each one after."""
    as_of: str
    """When its facts were read (ISO 8601 UTC): the online store is as fresh as this."""
    online_inode: int
    """The inode of the `online.db` it wrote (a deleted or replaced store has another)."""
    changed: dict[str, int]
    """Rows that changed, per view."""
    full: bool
    """The whole history was loaded (new, deleted or replaced online store, or changed views)."""
    duration_ms: float
    """How long it took."""
    fingerprint: str = FINGERPRINT
    """The views it applied."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Features whose source could not be read by this run, with why: readers name them missing."""
    written: int = 0
    """The generation that last wrote the online store: this one when it loaded rows, else the one before's (a run
    that changed nothing moves only the as-of, so readers keep what they cached)."""


def read_marker(repo: FeatureRepo) -> Materialization | None:
    """The last materialization recorded in `materialized.json`, or None (never, or unreadable)."""
    try:
        return Materialization(**json.loads(repo.marker_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _inode(repo: FeatureRepo) -> int | None:
    try:
        return repo.online_path.stat().st_ino
    except FileNotFoundError:
        return None


class FeastHandle:
    """The materializing `FeatureStore` of one repository, kept open between runs (one thread uses it)."""

    def __init__(self, repo: FeatureRepo) -> None:
        self.repo = repo
        self._store: Any = None

    def open(self, *, reapply: bool) -> Any:
        """The store; `reapply` opens a new one and applies the views (creates a missing online store's tables)."""
        if self._store is None or reapply:
            from feast import FeatureStore
            from feast.repo_config import RepoConfig

            from fractalops.planes.features.feast_objects import OBJECTS

            config = RepoConfig(repo_path=self.repo.path, **_absolute(local_config(self.repo.path), self.repo))
            self._store = FeatureStore(config=config)
            self._store.apply(list(OBJECTS))
        return self._store


def _absolute(config: dict[str, Any], repo: FeatureRepo) -> dict[str, Any]:
    """The yaml's repository-relative paths made absolute (Feast resolves them against the cwd otherwise)."""
    return {**config, "registry": {**config["registry"], "path": str(repo.registry_path)},
            "online_store": {**config["online_store"], "path": str(repo.online_path)}}


# One Feast materialization at a time in this process, with dask on its synchronous scheduler: Feast's file offline
# store evaluates dask expressions, whose `functools.cached_property`s share one RLock per property across every
# instance on Python 3.11; dask's thread pool and a second materializing thread then deadlock on it (seen: every
# worker thread parked in `functools.__get__`). The frames here are a few hundred rows, so threads buy nothing.
_FEAST_LOCK = threading.Lock()


def _synchronous_dask() -> None:
    import dask

    dask.config.set(scheduler="synchronous")


def materialize_once(repo: FeatureRepo, handle: FeastHandle, *, proposals: ProposalStore, outbox: LiveOutbox,
                     warehouse: WarehouseProtocol, now: datetime | None = None) -> Materialization:
    """Run one materialization of `repo` from the planes' facts as of `now` (default: now)."""
    with _FEAST_LOCK:
        _synchronous_dask()
        return _materialize_locked(repo, handle, proposals=proposals, outbox=outbox, warehouse=warehouse, now=now)


def _materialize_locked(repo: FeatureRepo, handle: FeastHandle, *, proposals: ProposalStore, outbox: LiveOutbox,
                        warehouse: WarehouseProtocol, now: datetime | None) -> Materialization:
    from fractalops.planes.features.offline import OfflineExport

    started = time.perf_counter()
    as_of = (now or datetime.now(UTC)).astimezone(UTC)
    # Rows are stamped with exactly the marker's (millisecond) as-of, so the next run's "rows newer than the
    # marker" finds only rows written after it, not this run's again.
    as_of = as_of.replace(microsecond=as_of.microsecond // 1000 * 1000)
    repo.generate()
    export = OfflineExport(repo)
    facts = replace(collect_facts(proposals, outbox, warehouse, as_of=as_of), known=export.known())
    changed = export.append(feature_rows(facts), as_of)
    previous = read_marker(repo)
    inode = _inode(repo)
    full = previous is None or inode is None or previous.online_inode != inode or previous.fingerprint != FINGERPRINT
    since = None if full or previous is None else datetime.fromisoformat(previous.as_of)
    views = export.views_changed_since(since)
    if full or views:
        store = handle.open(reapply=full)
        keyed = [] if full else [v for v in views if view_named(v).join_key]
        for name in keyed:  # the changed rows of an entity view, written as exported (no offline-store scan)
            store.write_to_online_store(name, export.frame_since(name, since))
        if rest := (None if full else [v for v in views if v not in keyed]):
            store.materialize(start_date=since or _EPOCH, end_date=as_of + timedelta(seconds=1), feature_views=rest)
        elif full:
            store.materialize(start_date=_EPOCH, end_date=as_of + timedelta(seconds=1))
        inode = _inode(repo)
    repo.privatize()
    generation = (previous.generation if previous else 0) + 1
    written = generation if full or views else (previous.written if previous else 0)
    done = Materialization(generation=generation, as_of=iso(as_of),
                           online_inode=inode or 0, changed=changed, full=full,
                           duration_ms=round((time.perf_counter() - started) * 1000, 1),
                           unavailable=dict(facts.unavailable), written=written)
    atomic_write_text(repo.marker_path, json.dumps(asdict(done), sort_keys=True))
    os.chmod(repo.marker_path, 0o600)
    return done
