"""Rollback detection: a Chronicle log checked against what stores outside it witnessed about it.

A signed checkpoint proves only what the log's own key signed, and that key lives beside the log: whoever can
rewrite the log can re-sign it, or delete the tail together with its checkpoints. So each checkpoint is also
*witnessed* outside the log (the proposal store and the warehouse record its log, size, root, signing key id and
time), and every proposal that reached `evidenced` pins its entry by leaf hash. `verify_against_witnesses` decides
whether the log still agrees with all of them. The caller gathers the witnesses and the refs, so this plane knows
no other plane.

Order matters with a live writer: gather the witnesses and refs first, then call. The log is re-read here, so a
concurrent append can only make it longer than what was witnessed, never shorter. The one transient a live writer
can cause is a short unsigned tail (the ledger appends, then signs): `allow_unsigned_tail` is for that.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from fractalops.errors import EvidenceError
from fractalops.planes.evidence._layout import ChronicleLayout
from fractalops.planes.evidence.checkpoint import SignedCheckpoint
from fractalops.planes.evidence.log import ChronicleLog
from fractalops.planes.evidence.merkle import verify_consistency
from fractalops.planes.evidence.refs import EvidenceRef, check_log_name

__all__ = [
    "CHECKS",
    "CheckResult",
    "CheckpointWitness",
    "EvidencedRef",
    "WitnessRecord",
    "WitnessedVerifyDocument",
    "key_id",
    "verify_against_witnesses",
]

CHECKS = ("integrity", "log_present", "witness_records", "signing_key", "witnessed_size", "witnessed_root",
          "signed_tail", "evidenced_refs")
"""Every check `verify_against_witnesses` runs, in the order it reports them."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")


def key_id(public_key: bytes) -> str:
    """The id witnesses record for a signing key: lowercase hex SHA-256 of the raw Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()


class WitnessRecord(TypedDict):
    """A witnessed checkpoint as plain JSON: what the proposal store and the warehouse each keep."""

    log: str
    """Name of the Chronicle log."""
    size: int
    """Tree size the checkpoint signed."""
    root: str
    """Lowercase hex root hash at that size."""
    key_id: str
    """`key_id()` of the key that signed it."""
    timestamp: int
    """The checkpoint's own signing time, milliseconds since the epoch (UTC)."""
    signature: str
    """The checkpoint's Ed25519 signature, lowercase hex."""


@dataclass(frozen=True, slots=True)
class CheckpointWitness:
    """One signed checkpoint as a store outside the log recorded it."""

    log: str
    """Name of the Chronicle log."""
    size: int
    """Tree size the checkpoint signed."""
    root: str
    """Lowercase hex root hash at that size."""
    key_id: str
    """`key_id()` of the signing key."""
    timestamp: int
    """The checkpoint's signing time, milliseconds since the epoch (UTC)."""
    signature: str
    """The checkpoint's Ed25519 signature, lowercase hex."""
    source: str = ""
    """Where the witness was read from (e.g. `proposals.sqlite`, `warehouse`); named in every failure."""

    @classmethod
    def of(cls, checkpoint: SignedCheckpoint, public_key: bytes, source: str = "") -> CheckpointWitness:
        """The witness of a checkpoint the log just signed with `public_key`."""
        return cls(checkpoint.log, checkpoint.size, checkpoint.root, key_id(public_key), checkpoint.timestamp,
                   checkpoint.signature, source)

    @classmethod
    def from_record(cls, record: Mapping[str, Any], source: str) -> CheckpointWitness:
        """Strictly rebuild a witness read from a store; EvidenceError names the store and the bad field."""
        try:
            log = check_log_name(record["log"])
            size, timestamp = record["size"], record["timestamp"]
            root, kid, signature = record["root"], record["key_id"], record["signature"]
        except (KeyError, TypeError, EvidenceError) as exc:
            raise EvidenceError(f"malformed Chronicle witness in {source}: {exc}") from None
        for name, value in (("size", size), ("timestamp", timestamp)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise EvidenceError(f"malformed Chronicle witness in {source}: {name} {value!r} is not a count")
        for name, value, pattern in (("root", root, _HEX64), ("key_id", kid, _HEX64),
                                     ("signature", signature, _HEX128)):
            if not isinstance(value, str) or not pattern.fullmatch(value):
                raise EvidenceError(f"malformed Chronicle witness in {source}: {name} is not lowercase hex")
        return cls(log, size, root, kid, timestamp, signature, source)

    def record(self) -> WitnessRecord:
        """The fields a store keeps (everything but `source`)."""
        return WitnessRecord(log=self.log, size=self.size, root=self.root, key_id=self.key_id,
                             timestamp=self.timestamp, signature=self.signature)

    def checkpoint(self) -> SignedCheckpoint:
        return SignedCheckpoint(self.log, self.size, self.root, self.timestamp, self.signature)

    def describe(self) -> str:
        at = datetime.fromtimestamp(self.timestamp / 1000, UTC).isoformat(timespec="milliseconds")
        return f"checkpoint of size {self.size} signed at {at}"


@dataclass(frozen=True, slots=True)
class EvidencedRef:
    """A proposal in state `evidenced` and the Chronicle ref its evidence names."""

    proposal_id: str
    """The proposal's id."""
    ref: str
    """Its `evidence["chronicle"]` (`chronicle://<log>/<index>#sha256:<leaf>`); empty when it records none."""


class CheckResult(TypedDict):
    """One named check of the verification."""

    name: str
    """One of `CHECKS`."""
    ok: bool
    """True when the check passed (or, for `signed_tail`, an unsigned tail was allowed)."""
    detail: str
    """What was found; on failure what is wrong, where, and what it means."""
    first_bad: int | None
    """On failure, the first entry index that can no longer be trusted (None when none can be named)."""


class WitnessedVerifyDocument(TypedDict):
    """What `fractalops evidence verify` prints: the verdict and every check that ran."""

    ok: bool
    """True only when every check passed."""
    log: str
    """The verified log's name."""
    chronicle_dir: str
    """The Chronicle directory that was read."""
    size: int
    """Entry lines in the log (including a bad or partial one)."""
    first_bad: int | None
    """Lowest `first_bad` of the failed checks."""
    reason: str | None
    """The first problem (the failed check with the lowest `first_bad`, then by `CHECKS` order) and where."""
    failed: list[str]
    """Names of the failed checks, in `CHECKS` order."""
    checks: list[CheckResult]
    """Every check, in `CHECKS` order."""
    signed_size: int | None
    """Size of the newest signed checkpoint in the log (None when none)."""
    witnessed_size: int | None
    """Largest size witnessed outside the log (None when nothing was witnessed)."""
    key_id: str | None
    """`key_id()` of the log's signing key (None when it has none or it is unreadable)."""
    witnesses: int
    """Witness records considered (for this log, from every source)."""
    evidenced: int
    """Evidenced proposals whose refs were checked."""
    allow_unsigned_tail: bool
    """Whether entries beyond the newest signed checkpoint were allowed."""


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _check(name: str, ok: bool, detail: str, first_bad: int | None = None) -> CheckResult:
    return CheckResult(name=name, ok=ok, detail=detail, first_bad=None if ok else first_bad)


class _Head:
    """The log as read once, after the witnesses were gathered."""

    def __init__(self, log: ChronicleLog) -> None:
        self.log = log
        self.size = log.size
        self.root = log.root_hash(self.size)
        self.public_key: bytes | None = None
        self.key_error: str | None = None
        self.latest: SignedCheckpoint | None = None
        self.checkpoint_error: str | None = None
        try:
            self.public_key = log.public_key()
        except EvidenceError as exc:
            self.key_error = str(exc)
        try:
            self.latest = log.latest_checkpoint()
        except EvidenceError as exc:
            self.checkpoint_error = str(exc)


def _sources(witnesses: list[CheckpointWitness], match: CheckpointWitness) -> str:
    names = sorted({w.source for w in witnesses if (w.size, w.root, w.timestamp) == (match.size, match.root,
                                                                                      match.timestamp)})
    return " and ".join(n for n in names if n) or "an unnamed store"


def _log_present(head: _Head, witnesses: list[CheckpointWitness], evidenced: list[EvidencedRef]) -> CheckResult:
    where = ChronicleLayout(head.log.root).entries(head.log.name)
    if head.size:
        return _check("log_present", True, f"{where} holds {_entries(head.size)}")
    claims = []
    if witnessed := {(w.size, w.root, w.timestamp): w for w in witnesses if w.size}:
        newest = max(witnessed.values(), key=lambda w: w.size)
        claims.append(f"{len(witnessed)} witnessed checkpoint(s) (newest: size {newest.size}, in "
                      f"{_sources(witnesses, newest)})")
    if evidenced:
        claims.append(f"{len(evidenced)} evidenced proposal(s) (first: {evidenced[0].proposal_id})")
    if not claims:
        return _check("log_present", True, f"{where} holds no entries, and nothing was witnessed or evidenced yet")
    return _check("log_present", False, f"{where} holds no entries (deleted, or replaced by an empty log), but "
                  f"{' and '.join(claims)} reference it", 0)


def _witness_records(witnesses: list[CheckpointWitness], bad: list[str]) -> CheckResult:
    if not bad:
        return _check("witness_records", True, f"{len(witnesses)} witness record(s) read")
    more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
    return _check("witness_records", False, f"a witness store could not be read or holds a malformed record: "
                  f"{bad[0]}{more}; a witness store is written only by the ledger, so this is damage or tampering")


def _signing_key(head: _Head, witnesses: list[CheckpointWitness]) -> CheckResult:
    if not witnesses:
        return _check("signing_key", True, "nothing witnessed yet, so no key to compare")
    if head.public_key is None:
        return _check("signing_key", False, f"the log has no usable signing key ({head.key_error}), but "
                      f"{len(witnesses)} checkpoint(s) signed by key {witnesses[0].key_id} were witnessed in "
                      f"{_sources(witnesses, witnesses[0])}", 0)
    own = key_id(head.public_key)
    verified: set[tuple[int, str, int, str]] = set()  # each store witnesses the same checkpoint: verify it once
    for w in witnesses:
        if w.key_id != own:
            return _check("signing_key", False, f"the {w.describe()}, witnessed in {w.source}, was signed by key "
                          f"{w.key_id}, but the log's key is {own}: the log or its key was swapped in "
                          "from another data dir or replaced", 0)
        if (w.size, w.root, w.timestamp, w.signature) in verified:
            continue
        if not w.checkpoint().verify(head.public_key):
            return _check("signing_key", False, f"the {w.describe()}, witnessed in {w.source}, carries a signature "
                          f"that does not verify with the log's key {own}: the witness or the key was altered",
                          0)
        verified.add((w.size, w.root, w.timestamp, w.signature))
    return _check("signing_key", True, f"all {len(witnesses)} witness(es) were signed by the log's key {own}")


def _witnessed_size(head: _Head, witnesses: list[CheckpointWitness]) -> CheckResult:
    if not witnesses:
        return _check("witnessed_size", True, "nothing witnessed yet")
    newest = max(witnesses, key=lambda w: (w.size, w.timestamp))
    if head.size >= newest.size:
        return _check("witnessed_size", True, f"the log holds {_entries(head.size)}, at least the {newest.size} "
                      f"witnessed in {_sources(witnesses, newest)}")
    return _check("witnessed_size", False, f"the log holds {_entries(head.size)}, but a {newest.describe()} was "
                  f"witnessed in {_sources(witnesses, newest)}: entries {head.size}..{newest.size - 1} were removed "
                  "(rollback or truncation)", head.size)


def _witnessed_root(head: _Head, witnesses: list[CheckpointWitness]) -> CheckResult:
    distinct = sorted({(w.size, w.root): w for w in witnesses if w.size <= head.size}.values(), key=lambda w: w.size)
    good = 0
    for w in distinct:
        proof = head.log.consistency_proof(w.size, head.size)
        if not verify_consistency(w.size, head.size, bytes.fromhex(w.root), head.root, proof):
            return _check("witnessed_root", False, f"the log's root at size {w.size} is "
                          f"{head.log.root_hash(w.size).hex()}, but the {w.describe()}, witnessed in "
                          f"{_sources(witnesses, w)}, has {w.root}: some of the first {_entries(w.size)} "
                          "were rewritten, or the log was swapped", good)
        good = w.size
    if not distinct:
        return _check("witnessed_root", True, "no witnessed size within the log to compare")
    return _check("witnessed_root", True, f"{len(distinct)} witnessed root(s) are consistent with the log's head "
                  f"(RFC 6962 consistency proofs up to size {head.size})")


def _signed_tail(head: _Head, allow: bool) -> CheckResult:
    if head.checkpoint_error is not None:
        return _check("signed_tail", False, f"cannot read the log's checkpoints: {head.checkpoint_error}", 0)
    signed = head.latest.size if head.latest else 0
    if head.size <= signed:
        return _check("signed_tail", True, f"every entry is covered by a signed checkpoint (size {signed})")
    tail = f"{_entries(head.size - signed)} ({signed}..{head.size - 1})"
    if allow:
        return _check("signed_tail", True, f"{tail} beyond the newest signed checkpoint: allowed "
                      "(--allow-unsigned-tail)")
    return _check("signed_tail", False, f"{tail} beyond the newest signed checkpoint (size {signed}): appended "
                  "without a checkpoint; pass --allow-unsigned-tail only if a writer is between append and sign",
                  signed)


def _evidenced_refs(head: _Head, evidenced: list[EvidencedRef]) -> CheckResult:
    failures: list[tuple[int | None, str]] = []
    for item in evidenced:
        if not item.ref:
            failures.append((None, f"proposal {item.proposal_id} is evidenced but records no Chronicle ref"))
            continue
        try:
            ref = EvidenceRef.parse(item.ref)
        except EvidenceError as exc:
            failures.append((None, f"proposal {item.proposal_id}: {exc}"))
            continue
        if ref.log != head.log.name:
            continue  # another log's ref is checked when that log is verified
        try:
            entry = head.log.lookup(ref)
        except EvidenceError as exc:
            failures.append((ref.index, f"proposal {item.proposal_id}: {exc}"))
            continue
        if entry.get("proposal_id") != item.proposal_id:
            failures.append((ref.index, f"proposal {item.proposal_id}'s ref {ref.uri} holds an entry about "
                                        f"{entry.get('proposal_id')!r}"))
    if not failures:
        return _check("evidenced_refs", True, f"the log holds the entry of each of {len(evidenced)} evidenced "
                      "proposal(s)")
    failures.sort(key=lambda f: (f[0] is None, f[0] or 0))
    first_bad, first = failures[0]
    more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
    return _check("evidenced_refs", False, f"{len(failures)} evidenced proposal(s) reference entries the log does "
                  f"not hold; first: {first}{more}", first_bad)


def verify_against_witnesses(
    log: ChronicleLog,
    witnesses: Iterable[CheckpointWitness],
    evidenced: Iterable[EvidencedRef],
    *,
    allow_unsigned_tail: bool = False,
    bad_witnesses: Iterable[str] = (),
) -> WitnessedVerifyDocument:
    """Verify `log` from its files, then against the `witnesses` and the `evidenced` refs (gathered first).

    `bad_witnesses` are the problems the caller met reading a witness store that exists (a malformed record, a
    failed read), each naming the store; any of them fails the `witness_records` check. A store that does not
    exist is simply not a source. Never raises on corrupt or missing data: every problem is a failed check.
    """
    own_witnesses = [w for w in witnesses if w.log == log.name]
    refs = list(evidenced)
    integrity = log.verify()
    head = _Head(log)
    checks = [
        _check("integrity", integrity.ok, integrity.reason or "every entry, checkpoint, key and artifact re-derived",
               integrity.first_bad),
        _log_present(head, own_witnesses, refs),
        _witness_records(own_witnesses, list(bad_witnesses)),
        _signing_key(head, own_witnesses),
        _witnessed_size(head, own_witnesses),
        _witnessed_root(head, own_witnesses),
        _signed_tail(head, allow_unsigned_tail),
        _evidenced_refs(head, refs),
    ]
    failed = [c for c in checks if not c["ok"]]
    first = min(failed, key=lambda c: (c["first_bad"] is None, c["first_bad"] or 0), default=None)
    reason = None
    if first is not None:
        others = [c["name"] for c in failed if c is not first]
        reason = f"{first['name']}: {first['detail']}" + (f" (also failed: {', '.join(others)})" if others else "")
    bad = [c["first_bad"] for c in failed if c["first_bad"] is not None]
    return WitnessedVerifyDocument(
        ok=not failed,
        log=log.name,
        chronicle_dir=str(log.root),
        size=integrity.size,
        first_bad=min(bad) if bad else None,
        reason=reason,
        failed=[c["name"] for c in failed],
        checks=checks,
        signed_size=head.latest.size if head.latest else None,
        witnessed_size=max((w.size for w in own_witnesses), default=None),
        key_id=key_id(head.public_key) if head.public_key else None,
        witnesses=len(own_witnesses),
        evidenced=len(refs),
        allow_unsigned_tail=allow_unsigned_tail,
    )
