"""RFC 6962 known answers (certificate-transparency vectors) and proof properties up to 100k leaves."""

from __future__ import annotations

import hashlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fractalops.planes.evidence.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]

BIG = 100_000


@pytest.fixture(scope="module")
def ct_tree() -> MerkleTree:
    return MerkleTree(leaf_hash(d) for d in CT_LEAVES)


@pytest.fixture(scope="module")
def big_tree() -> MerkleTree:
    return MerkleTree(leaf_hash(i.to_bytes(4, "big")) for i in range(BIG))


def _reference_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1, recursively, for cross-checking the cached tree."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


def test_hash_prefixes_and_empty_root() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_ct_roots(ct_tree: MerkleTree) -> None:
    assert [ct_tree.root(n).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_ct_inclusion_vectors(ct_tree: MerkleTree, index: int, size: int, expected: list[str]) -> None:
    proof = ct_tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == expected
    assert verify_inclusion(ct_tree.leaf(index), index, size, proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "expected"), CT_CONSISTENCY)
def test_ct_consistency_vectors(ct_tree: MerkleTree, first: int, second: int, expected: list[str]) -> None:
    proof = ct_tree.consistency_proof(first, second)
    assert [p.hex() for p in proof] == expected
    roots = [bytes.fromhex(r) for r in CT_ROOTS]
    assert verify_consistency(first, second, roots[first], roots[second], proof)


def test_every_proof_in_small_trees_verifies_and_mangling_fails() -> None:
    hashes = [leaf_hash(bytes([i])) for i in range(70)]
    tree = MerkleTree(hashes)
    roots = [_reference_root(hashes[:n]) for n in range(71)]
    for n in range(71):
        assert tree.root(n) == roots[n]
        for i in range(n):
            proof = tree.inclusion_proof(i, n)
            assert verify_inclusion(hashes[i], i, n, proof, roots[n])
            if proof:
                assert not verify_inclusion(hashes[i], i, n, proof[:-1], roots[n])
                assert not verify_inclusion(hashes[i], i, n, [*proof, b"\xab" * 32], roots[n])
                bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
                assert not verify_inclusion(hashes[i], i, n, bad, roots[n])
        for m in range(n + 1):
            proof = tree.consistency_proof(m, n)
            assert verify_consistency(m, n, roots[m], roots[n], proof)
            if proof:
                assert not verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                assert not verify_consistency(m, n, roots[m], roots[n], [*proof, b"\xcd" * 32])
                assert not verify_consistency(m, n, roots[m], roots[n], [bytes(32), *proof[1:]])


def test_degenerate_consistency_and_malformed_inputs(ct_tree: MerkleTree) -> None:
    r4, r5, r8 = (bytes.fromhex(CT_ROOTS[i]) for i in (4, 5, 8))
    assert verify_consistency(4, 4, r4, r4, [])
    assert not verify_consistency(4, 4, r4, r5, [])
    assert not verify_consistency(4, 4, r4, r4, [bytes(32)])
    assert verify_consistency(0, 8, EMPTY_ROOT, r8, [])
    assert not verify_consistency(0, 8, r4, r8, [])
    assert not verify_consistency(6, 8, r4, r8, [])
    assert not verify_consistency(8, 6, r8, r4, ct_tree.consistency_proof(6, 8))
    proof = ct_tree.inclusion_proof(5, 8)
    assert not verify_inclusion(b"\x00" * 31, 5, 8, proof, r8)
    assert not verify_inclusion(ct_tree.leaf(5), 8, 8, proof, r8)
    assert not verify_inclusion(ct_tree.leaf(5), -1, 8, proof, r8)
    with pytest.raises(IndexError):
        ct_tree.inclusion_proof(8, 8)
    with pytest.raises(IndexError):
        ct_tree.consistency_proof(5, 3)
    with pytest.raises(IndexError):
        ct_tree.root(9)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_inclusion_in_random_sizes_up_to_100k(big_tree: MerkleTree, data: st.DataObject) -> None:
    size = data.draw(st.integers(1, BIG), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = big_tree.inclusion_proof(index, size)
    assert len(proof) <= math.ceil(math.log2(size)) if size > 1 else not proof
    root = big_tree.root(size)
    assert verify_inclusion(big_tree.leaf(index), index, size, proof, root)
    other = (index + 1) % size
    if other != index:
        assert not verify_inclusion(big_tree.leaf(other), index, size, proof, root)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_consistency_in_random_sizes_up_to_100k(big_tree: MerkleTree, data: st.DataObject) -> None:
    second = data.draw(st.integers(1, BIG), label="second")
    first = data.draw(st.integers(0, second), label="first")
    proof = big_tree.consistency_proof(first, second)
    r1, r2 = big_tree.root(first), big_tree.root(second)
    assert verify_consistency(first, second, r1, r2, proof)
    if 0 < first < second:
        wrong = big_tree.root(first - 1) if first > 1 else bytes(32)
        assert not verify_consistency(first, second, wrong, r2, proof)


def test_big_tree_root_matches_reference_recursion(big_tree: MerkleTree) -> None:
    hashes = [big_tree.leaf(i) for i in range(BIG)]
    for size in (1, 2, 3, 1000, 65536, 65537, 99_999, BIG):
        assert big_tree.root(size) == _reference_root(hashes[:size])


def test_batched_hashing_equals_one_at_a_time() -> None:
    from fractalops.planes.evidence.merkle import leaf_hashes

    leaves = [bytes([i % 251]) * (i % 300) for i in range(1000)]
    hashes = leaf_hashes(leaves)
    assert hashes == [leaf_hash(d) for d in leaves]
    one_by_one = MerkleTree()
    for h in hashes:
        one_by_one.append(h)
    chunked = MerkleTree()
    start = 0
    for size in (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 392):
        chunked.extend(hashes[start : start + size])
        start += size
    assert start == 1000
    for size in (1, 2, 3, 7, 64, 999, 1000):
        assert chunked.root(size) == one_by_one.root(size) == MerkleTree(hashes[:size]).root()
