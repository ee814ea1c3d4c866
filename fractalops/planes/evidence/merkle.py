"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verifiers.

Leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right), and the tree over
D[0:n] splits at the largest power of two strictly smaller than n. `MerkleTree` keeps every complete
(perfect, aligned) subtree hash in memory, so appending is amortised O(1), and a root or a subtree
hash costs O(log n) node hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from fractalops.planes.evidence._kernels import HASH_SIZE, leaf_hashes, node_level

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string (RFC 6962 §2.1)."""


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only RFC 6962 tree over leaf hashes, with cached complete subtrees.

    Each level is one `bytearray` of packed 32-byte hashes (level 0: the leaves), so a batch of leaves costs
    no Python object per hash; the pair hashing runs in `_kernels.node_level`.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return len(self._levels[0]) // HASH_SIZE

    def _hash(self, level: int, index: int) -> bytes:
        return bytes(self._levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def leaf(self, index: int) -> bytes:
        """The stored leaf hash at `index`."""
        if not 0 <= index < len(self):
            raise IndexError(f"leaf index {index} is outside a tree of size {len(self)}")
        return self._hash(0, index)

    def append(self, leaf_hash_: bytes) -> int:
        """Add one leaf hash; returns its index."""
        self.extend_packed(leaf_hash_)
        return len(self) - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add many leaf hashes in order."""
        hashes = list(leaf_hashes)
        packed = b"".join(hashes)
        if len(packed) != HASH_SIZE * len(hashes):
            raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
        self.extend_packed(packed)

    def extend_packed(self, packed: bytes | bytearray | memoryview) -> None:
        """Add leaf hashes packed 32 bytes each, hashing each new complete pair once, level by level."""
        new = bytes(packed) if not isinstance(packed, bytes) else packed
        if len(new) % HASH_SIZE:
            raise ValueError(f"packed leaf hashes must be a multiple of {HASH_SIZE} bytes, got {len(new)}")
        level, levels = 0, self._levels
        while new:
            if level == len(levels):
                levels.append(bytearray())
            row = levels[level]
            first = len(row) // (2 * HASH_SIZE) * (2 * HASH_SIZE)  # an odd leftover pairs with the first new hash
            row += new
            with memoryview(row) as view:
                new = node_level(view[first:])  # a trailing odd hash waits for its pair
            level += 1

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]); O(log n) when the range comes from the RFC 6962 recursion."""
        n = end - start
        if n <= 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return self._hash(n.bit_length() - 1, start // n)
        k = _split(n)
        return node_hash(self.subtree_hash(start, start + k), self.subtree_hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """MTH(D[0:size]); the current head when size is None."""
        size = len(self) if size is None else size
        self._check_size(size)
        return self.subtree_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) per RFC 6962 §2.1.1, leaf-side first."""
        size = len(self) if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise IndexError(f"leaf index {index} is outside a tree of size {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                path.append(self.subtree_hash(start + k, end))
                end = start + k
            else:
                path.append(self.subtree_hash(start, start + k))
                start += k
        path.reverse()
        return path

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[0:second]) per RFC 6962 §2.1.2; empty when first is 0 or equals second."""
        second = len(self) if second is None else second
        self._check_size(second)
        if not 0 <= first <= second:
            raise IndexError(f"consistency needs 0 <= first <= second, got {first} and {second}")
        if first == 0 or first == second:
            return []
        proof: list[bytes] = []
        start, end, m, complete = 0, second, first, True
        while True:
            n = end - start
            if m == n:
                if not complete:
                    proof.append(self.subtree_hash(start, end))
                break
            k = _split(n)
            if m <= k:
                proof.append(self.subtree_hash(start + k, end))
                end = start + k
            else:
                proof.append(self.subtree_hash(start, start + k))
                start, m, complete = start + k, m - k, False
        proof.reverse()
        return proof

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= len(self):
            raise IndexError(f"tree size {size} is outside 0..{len(self)}")


def _ok_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show leaf `index` with `leaf_hash` in the tree of `size` with `root`?"""
    if not (_ok_hash(leaf_hash) and _ok_hash(root) and all(_ok_hash(p) for p in proof)):
        return False
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (first, first_root) a prefix of (second, second_root)?

    Two degenerate cases the RFC leaves to the caller: first == second needs an empty proof and equal
    roots; first == 0 needs an empty proof and first_root == EMPTY_ROOT.
    """
    if not (_ok_hash(first_root) and _ok_hash(second_root) and all(_ok_hash(p) for p in proof)):
        return False
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, bytes(first_root))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
