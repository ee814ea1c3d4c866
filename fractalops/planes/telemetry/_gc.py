"""`collections_deferred()`: no cyclic garbage collection while a body is decoded and stored.

Why: a body allocates about ten tracked objects per item (dicts, tuples, candidates), all freed by reference counting
when the body is done, none of them cyclic. In the server's heap (~300k long-lived objects) those allocations
trigger a dozen young-generation collections per 1000-event body, and their older-generation passes scan the whole
heap: about a tenth of a body's Python time, spent finding nothing. Deferred, the counters fall back as the body's
objects are freed, and the next collection after it runs as it would have. Nesting and threads are counted: the
collector is enabled again when the last deferring body is done, and only if it was enabled before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collections_deferred"]

_lock = threading.Lock()
_state = {"depth": 0, "was_enabled": False}


@contextmanager
def collections_deferred() -> Iterator[None]:
    """Defer the cyclic collector for the block (see the module docstring)."""
    with _lock:
        if _state["depth"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["was_enabled"]:
                gc.enable()
