"""The materialization worker: one daemon thread per data dir, off every caller's hot path.

`request()` (ledger, after a proof is decided) costs a lock and a notify: the worker runs one materialization for
every burst of requests (requests that arrive while it runs, or within `spacing_s` of its end, are served by the
next run, never dropped), and, once `start_timer()` was called (the server's lifespan), also every `interval_s`.
Feast is imported by the worker's first run, in the worker. A failed materialization is logged and kept as
`last_error`; the online store keeps what the previous run wrote, and readers name it stale once it is older than
their bound.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from fractalops.planes.features.config import feature_settings
from fractalops.planes.features.materialize import FeastHandle, Materialization, materialize_once
from fractalops.planes.features.repo import FeatureRepo
from fractalops.planes.live import LiveOutbox
from fractalops.planes.proposals import ProposalStore
from fractalops.planes.warehouse import WarehouseProtocol

__all__ = ["Materializer", "materializer"]

_LOG = logging.getLogger("fractalops.features")


class Materializer:
    """Materializes the FeaturePlane of one data dir, on request and on a timer."""

    def __init__(self, data_dir: Path, *, spacing_s: float | None = None) -> None:
        self.data_dir = data_dir
        self.spacing_s = feature_settings().spacing_s if spacing_s is None else spacing_s
        """Requested runs start at least this far apart (a burst of requests is served by one run)."""
        self.repo = FeatureRepo.in_data_dir(data_dir)
        self.last: Materialization | None = None
        """The latest successful materialization of this process."""
        self.last_error = ""
        """Why the latest run failed (empty after a success)."""
        self._cond = threading.Condition()
        self._requested = 0
        self._completed = 0
        self._runs = 0
        self._warehouse: WarehouseProtocol | None = None
        self._timer: tuple[float, Callable[[], WarehouseProtocol]] | None = None
        self._last_run = -float("inf")
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def requested(self) -> int:
        """The ticket of the latest request (0 before any): `wait(requested)` waits for the run serving it."""
        with self._cond:
            return self._requested

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name=f"features-materializer:{self.data_dir}",
                                            daemon=True)
            self._thread.start()

    def request(self, warehouse: WarehouseProtocol) -> int:
        """Ask for a materialization reading `warehouse`; returns a ticket for `wait()`. Never blocks on the run."""
        with self._cond:
            self._requested += 1
            self._warehouse = warehouse
            self._ensure_thread()
            self._cond.notify_all()
            return self._requested

    def start_timer(self, interval_s: float, warehouse: Callable[[], WarehouseProtocol], *,
                    first_in: float = 0.0) -> None:
        """Also materialize every `interval_s`, the first time in `first_in` seconds, reading `warehouse()`."""
        with self._cond:
            self._timer = (interval_s, warehouse)
            self._last_run = time.monotonic() + first_in - interval_s
            self._ensure_thread()
            self._cond.notify_all()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the worker after its current run (the server's shutdown)."""
        with self._cond:
            self._stopping = True
            self._timer = None
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait(self, ticket: int, timeout: float) -> bool:
        """Block until the run serving `ticket` has finished (True) or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._completed < ticket:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    @property
    def running(self) -> bool:
        """The worker thread is alive (started by a request or the timer, not stopped)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def runs(self) -> int:
        """Materializations this worker has run (failed ones too)."""
        with self._cond:
            return self._runs

    def wait_for_runs(self, runs: int, timeout: float) -> bool:
        """Block until this worker has run `runs` materializations in all (True) or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._runs < runs:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _next(self) -> tuple[int, WarehouseProtocol] | None:
        """Wait for work: the ticket it serves and the warehouse to read; None to stop."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                if self._requested > self._completed and self._warehouse is not None:
                    left = self._last_run + self.spacing_s - time.monotonic()
                    if left <= 0:
                        return self._requested, self._warehouse
                    self._cond.wait(left)
                    continue
                if self._timer is not None:
                    interval, warehouse = self._timer
                    left = self._last_run + interval - time.monotonic()
                    if left <= 0:
                        return self._requested, warehouse()
                    self._cond.wait(left)
                else:
                    self._cond.wait()

    def _loop(self) -> None:
        proposals, outbox = ProposalStore.in_data_dir(self.data_dir), LiveOutbox.in_data_dir(self.data_dir)
        handle = FeastHandle(self.repo)
        while (work := self._next()) is not None:
            ticket, warehouse = work
            try:
                self.last = materialize_once(self.repo, handle, proposals=proposals, outbox=outbox,
                                             warehouse=warehouse)
                self.last_error = ""
            except Exception as exc:  # a failed run must not end the worker; the next request retries
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                _LOG.warning("fractalops: feature materialization of %s failed: %s", self.repo.path, self.last_error)
            with self._cond:
                self._last_run = time.monotonic()
                self._runs += 1
                self._completed = max(self._completed, ticket)
                self._cond.notify_all()


_lock = threading.Lock()
_workers: dict[Path, Materializer] = {}


def materializer(data_dir: Path) -> Materializer:
    """The process's materializer for `data_dir` (one per resolved path)."""
    key = data_dir.resolve()
    with _lock:
        if key not in _workers:
            _workers[key] = Materializer(key)
        return _workers[key]
