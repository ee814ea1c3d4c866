"""Reading features from the online store: `FeatureReader.read(agent, asset)` within a time budget.

Feast runs in the reader's own worker thread (its first read there imports Feast, ~4 s; `warm()` starts that early),
so a read that overruns its budget is abandoned, never waited for: the caller gets every feature named missing
with the reason, and goes on. Nothing is invented: a feature the store does not hold is missing, one older than
the freshness bound is served but named stale.

Reads are cached per (agent, asset) until the online store changes. The store changes only when a
materialization loads rows into it (`materialized.json` then names a new `written` generation), so each read costs
two `stat()` calls until then (and a re-read of the marker when a run that loaded nothing moved its as-of), and a
Feast `get_online_features` after. A deleted or replaced online store (another inode than the marker names) is never
read: its features are missing until the next materialization reloads it.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fractalops.planes.features.config import feature_settings
from fractalops.planes.features.definitions import FEATURE_NAMES, FEATURES, view_of
from fractalops.planes.features.materialize import Materialization, read_marker
from fractalops.planes.features.repo import FeatureRepo, local_config

__all__ = ["FeatureRead", "FeatureReader", "feature_reader", "FEATURE_REFS", "entity_row", "open_online_store"]

FEATURE_REFS: tuple[str, ...] = tuple(f.feature_ref for f in FEATURES)
"""Every served feature as Feast names it, in `FEATURES` order."""
_MAX_QUEUED = 8
_MAX_PAIRS = 64


def entity_row(agent: str, asset: str) -> dict[str, str]:
    """The one Feast entity row a step reads with (the warehouse view needs no key)."""
    return {"agent": agent, "asset": asset}


@dataclass(frozen=True)
class FeatureRead:
    """The features one step sees: values read from the online store, and what could not be used, named."""

    agent: str
    """The agent entity read."""
    asset: str
    """The asset entity read."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Qualified name (`agent.open_proposals`) -> value, for every feature read (stale ones too). A null value is
    a fact: nothing to compute it from (e.g. no proposal applied in the window)."""
    missing: tuple[str, ...] = ()
    """Features that could not be read (no online store, no row for the entity, over budget, read failed)."""
    stale: tuple[str, ...] = ()
    """Features read, but from a materialization older than the freshness bound."""
    as_of: str = ""
    """When the facts behind the values were read (the materialization's as-of), or empty."""
    reason: str = ""
    """Why features are missing or stale, for operators; empty when every feature is fresh."""

    @classmethod
    def unread(cls, agent: str, asset: str, reason: str) -> FeatureRead:
        """Every feature missing, for `reason`."""
        return cls(agent=agent, asset=asset, missing=FEATURE_NAMES, reason=reason)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of a fresh or stale feature, else `default`."""
        return self.values.get(name, default)

    @property
    def fresh(self) -> bool:
        """Every feature was read and is within the freshness bound."""
        return not self.missing and not self.stale

    def note(self) -> str:
        """The operator line: which features are missing or stale, and why (empty when all are fresh)."""
        parts = []
        if self.missing:
            parts.append(f"missing {', '.join(self.missing)}")
        if self.stale:
            parts.append(f"stale {', '.join(self.stale)}")
        return f"{'; '.join(parts)} ({self.reason})" if parts else ""


def open_online_store(repo: FeatureRepo) -> Any:
    """A Feast `FeatureStore` reading `repo`'s registry and online store (imports Feast)."""
    from feast import FeatureStore
    from feast.repo_config import RepoConfig

    config = local_config(repo.path)
    config = {**config, "registry": {**config["registry"], "path": str(repo.registry_path)},
              "online_store": {**config["online_store"], "path": str(repo.online_path)}}
    return FeatureStore(config=RepoConfig(repo_path=repo.path, **config))


def _plain(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


class _Worker:
    """The one thread every reader of this process runs Feast in (Feast is imported there, once)."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="features-reader")
        self.lock = threading.Lock()
        self.queued = 0
        self.loaded = threading.Event()

    def load(self) -> None:
        import feast  # noqa: F401 - the ~4 s import, paid here once

        self.loaded.set()


_WORKER = _Worker()


class FeatureReader:
    """Budgeted, cached reads of one repository's online store (thread-safe)."""

    def __init__(self, repo: FeatureRepo) -> None:
        self.repo = repo
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._seen: dict[tuple[str, str], None] = {}  # the pairs read so far, oldest first (bounded)
        self._cache_key: tuple[int, int] | None = None  # (online.db inode, the marker's `written` generation)
        self._marker_key: tuple[int, int] | None = None  # the marker file's (mtime, size)
        self._marker: Materialization | None = None
        self._store: tuple[int, Any] | None = None  # (inode, FeatureStore), used by the worker thread only

    @staticmethod
    def warm() -> Future[None]:
        """Import Feast in the worker now (the server's start does this, so the first step does not wait)."""
        return _WORKER.pool.submit(_WORKER.load)

    @staticmethod
    def ready(timeout: float) -> bool:
        """Wait until Feast is imported in the worker (tests; the server warms it at start)."""
        if not _WORKER.loaded.is_set():
            FeatureReader.warm()
        return _WORKER.loaded.wait(timeout)

    def read(self, agent: str, asset: str, *, budget_s: float | None = None, max_age_s: float | None = None,
             now: datetime | None = None) -> FeatureRead:
        """The features of `agent` and `asset` (plus the warehouse-wide ones), never waiting over `budget_s`."""
        settings = feature_settings() if budget_s is None or max_age_s is None else None
        budget = budget_s if budget_s is not None else settings.budget_s  # type: ignore[union-attr]
        max_age = max_age_s if max_age_s is not None else settings.max_age_s  # type: ignore[union-attr]
        try:
            online = os.stat(self.repo.online_path)
            marker_stat = os.stat(self.repo.marker_path)
        except FileNotFoundError as exc:
            what = "online store" if exc.filename == str(self.repo.online_path) else "materialization record"
            return FeatureRead.unread(agent, asset, f"no {what} at {exc.filename} (not materialized yet, or deleted)")
        pair = (agent, asset)
        with self._lock:
            if (marker_key := (marker_stat.st_mtime_ns, marker_stat.st_size)) != self._marker_key:
                self._marker, self._marker_key = read_marker(self.repo), marker_key
            key = (online.st_ino, self._marker.written if self._marker else -1)
            if key != self._cache_key:
                self._cache, self._cache_key = {}, key
            marker, raw = self._marker, self._cache.get(pair)
            self._seen[pair] = None
            while len(self._seen) > _MAX_PAIRS:
                del self._seen[next(iter(self._seen))]
            # One Feast call refreshes every pair this process reads, so the other agents' next steps hit the cache.
            pairs = [pair, *(p for p in self._seen if p != pair and p not in self._cache)]
        if marker is None:
            return FeatureRead.unread(agent, asset, f"{self.repo.marker_path} is unreadable; the next "
                                                    "materialization rewrites it")
        if marker.online_inode != online.st_ino:
            return FeatureRead.unread(agent, asset, f"the online store {self.repo.online_path} was replaced after "
                                                    "its last materialization; the next one reloads it")
        if raw is None:
            fetched, why = self._fetch_within(pairs, online.st_ino, budget, key)
            if fetched is None:
                return FeatureRead.unread(agent, asset, why)
            self._keep(key, fetched)
            raw = fetched[pair]
        return self._assemble(agent, asset, raw, marker, max_age, now or datetime.now(UTC))

    def _keep(self, key: tuple[int, int], fetched: dict[tuple[str, str], dict[str, Any]]) -> None:
        """Cache what a Feast call returned, unless the store changed since it was asked for."""
        with self._lock:
            if self._cache_key == key:
                self._cache.update(fetched)

    def _fetch_within(self, pairs: list[tuple[str, str]], inode: int, budget: float,
                      key: tuple[int, int]) -> tuple[dict[tuple[str, str], dict[str, Any]] | None, str]:
        with _WORKER.lock:
            if _WORKER.queued >= _MAX_QUEUED:
                return None, f"feature store busy: {_WORKER.queued} reads still waiting (loading Feast, or stuck)"
            _WORKER.queued += 1
        future = _WORKER.pool.submit(self._fetch, pairs, inode)
        try:
            return future.result(timeout=budget), ""
        except FutureTimeout:
            # Abandoned, not cancelled: when it lands, the next steps read its answer from the cache.
            future.add_done_callback(lambda done: None if done.exception() else self._keep(key, done.result()))
            loading = "" if _WORKER.loaded.is_set() else "; Feast is still loading in the reader"
            return None, f"feature read over its {budget * 1000:.0f} ms budget{loading}"
        except Exception as exc:  # any Feast or SQLite failure: named, and the step goes on
            return None, f"feature read failed: {type(exc).__name__}: {str(exc)[:200]}"

    def _fetch(self, pairs: list[tuple[str, str]], inode: int) -> dict[tuple[str, str], dict[str, Any]]:
        try:
            if self._store is None or self._store[0] != inode:  # a new online.db needs a new connection
                self._store = (inode, open_online_store(self.repo))
                _WORKER.loaded.set()
            response = self._store[1].get_online_features(features=list(FEATURE_REFS),
                                                          entity_rows=[entity_row(*p) for p in pairs],
                                                          full_feature_names=True)
            columns = response.to_dict(include_event_timestamps=True)
            return {p: {name: values[i] for name, values in columns.items()} for i, p in enumerate(pairs)}
        finally:
            with _WORKER.lock:
                _WORKER.queued -= 1

    @staticmethod
    def _assemble(agent: str, asset: str, raw: dict[str, Any], marker: Materialization, max_age: float,
                  now: datetime) -> FeatureRead:
        values: dict[str, Any] = {}
        missing: list[str] = []
        absent: list[str] = []
        for spec in FEATURES:
            column = f"{view_of(spec.scope).name}__{spec.name}"
            if spec.qualified in marker.unavailable:
                missing.append(spec.qualified)
                continue
            if not raw.get(f"{column}__ts"):
                missing.append(spec.qualified)
                if spec.scope not in absent:
                    absent.append(spec.scope)
                continue
            values[spec.qualified] = _plain(raw[column])
        reasons = [f"no {scope} row for {({'agent': agent, 'asset': asset}).get(scope, 'the warehouse')!r} in the "
                   f"online store (nothing recorded for it yet)" for scope in absent]
        reasons += [f"{name}: {why}" for name, why in marker.unavailable.items()]
        age = (now - datetime.fromisoformat(marker.as_of)).total_seconds()
        stale = tuple(values) if age > max_age else ()
        if stale:
            reasons.append(f"as of {marker.as_of}, {age:.0f} s old, over the {max_age:.0f} s freshness bound")
        return FeatureRead(agent=agent, asset=asset, values=values, missing=tuple(missing), stale=stale,
                           as_of=marker.as_of, reason="; ".join(reasons))


_readers: dict[Path, FeatureReader] = {}
_readers_lock = threading.Lock()


def feature_reader(data_dir: Path) -> FeatureReader:
    """The process's reader for `data_dir` (one per resolved path; all share one worker thread)."""
    key = data_dir.resolve()
    with _readers_lock:
        if key not in _readers:
            _readers[key] = FeatureReader(FeatureRepo.in_data_dir(key))
        return _readers[key]
