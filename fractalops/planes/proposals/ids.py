"""Proposal ids of their own: `prop_<32 hex>`, a UUIDv7 (RFC 9562), never derived from another id.

Python 3.11's `uuid` has no `uuid7`, so it is built here: a 48-bit Unix-millisecond timestamp, then a 42-bit
counter (RFC 9562 §6.2, method 1: the 12 `rand_a` bits and the top 30 `rand_b` bits) and 32 fresh random bits.
The counter starts at a random value (its top bit clear, leaving room to count) at every new millisecond and
steps by one within it, so ids made in one process are strictly increasing, even from many threads, even if the
clock steps back. Ids of different processes are told apart by the 73 random bits; the store's primary key
refuses the impossible duplicate rather than sharing a record.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid

__all__ = ["PROPOSAL_ID_PATTERN", "new_proposal_id", "uuid7"]

PROPOSAL_ID_PATTERN = re.compile(r"^prop_[0-9a-f]{32}$")
"""What `new_proposal_id` returns."""

_COUNTER_BITS = 42
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
_lock = threading.Lock()
_last_ms = -1
_counter = 0


def _seed() -> int:
    return int.from_bytes(os.urandom(6), "big") >> (48 - _COUNTER_BITS + 1)


def _reset_after_fork() -> None:
    global _last_ms
    _last_ms = -1  # a forked child reseeds its counter instead of counting in step with its parent


os.register_at_fork(after_in_child=_reset_after_fork)


def uuid7() -> uuid.UUID:
    """A new UUIDv7; strictly greater than every earlier one made by this process."""
    global _last_ms, _counter
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms, _counter = now, _seed()
        else:  # same millisecond, or the clock stepped back: keep the last time and count on
            _counter += 1
            if _counter > _COUNTER_MAX:
                _last_ms, _counter = _last_ms + 1, _seed()
        ms, counter = _last_ms, _counter
    tail = int.from_bytes(os.urandom(4), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (counter >> 30) << 64  # rand_a: the counter's top 12 bits
    value |= 0b10 << 62  # variant
    value |= (counter & ((1 << 30) - 1)) << 32  # rand_b: the counter's low 30 bits, then 32 random bits
    value |= tail
    return uuid.UUID(int=value)


def new_proposal_id() -> str:
    """`prop_<32 hex>` of a fresh UUIDv7: unique by construction and ordered by creation time."""
    return f"prop_{uuid7().hex}"
