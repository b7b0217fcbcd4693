"""Properties of the Merkle tree: every proof verifies at every size, every one-bit change fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.errors import ProofError
from readiness.ledger.core import compact, merkle

leaf_lists = st.lists(st.binary(max_size=40), min_size=1, max_size=40)


def _flip(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8 % len(value)] ^= 1 << (bit % 8)
    return bytes(changed)


def _naive_mth(hashes: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, recursively, from the definition."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return merkle.node_hash(_naive_mth(hashes[:k]), _naive_mth(hashes[k:]))


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists)
def test_every_inclusion_proof_verifies_for_every_index_and_size(leaves: list[bytes]) -> None:
    tree = compact.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    for size in range(1, len(leaves) + 1):
        root = tree.root(size)
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, tree.get_node)
            merkle.verify_inclusion(index, size, merkle.leaf_hash(leaves[index]), proof, root)


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists)
def test_every_consistency_proof_verifies_for_every_pair_of_sizes(leaves: list[bytes]) -> None:
    tree = compact.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    roots = [tree.root(size) for size in range(len(leaves) + 1)]
    for new in range(1, len(leaves) + 1):
        for old in range(1, new + 1):
            proof = merkle.consistency_proof(old, new, tree.get_node)
            merkle.verify_consistency(old, new, roots[old], roots[new], proof)


@settings(max_examples=100, deadline=None)
@given(leaves=leaf_lists)
def test_roots_from_stored_nodes_equal_the_recursive_definition(leaves: list[bytes]) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    tree = compact.MemoryTree(hashes)

    for size in range(len(hashes) + 1):
        assert tree.root(size) == _naive_mth(hashes[:size])
    assert merkle.root_hash(hashes) == _naive_mth(hashes)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), leaves=st.lists(st.binary(max_size=8), min_size=2, max_size=70))
def test_any_one_bit_change_to_an_inclusion_proof_root_or_leaf_is_rejected(
    data: st.DataObject, leaves: list[bytes]
) -> None:
    tree = compact.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    size = data.draw(st.integers(2, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = merkle.inclusion_proof(index, size, tree.get_node)
    leaf, root = tree.get_node(0, index), tree.root(size)
    target = data.draw(st.integers(0, len(proof) + 1), label="target")
    bit = data.draw(st.integers(0, 255), label="bit")
    if target == len(proof):
        leaf = _flip(leaf, bit)
    elif target == len(proof) + 1:
        root = _flip(root, bit)
    else:
        proof[target] = _flip(proof[target], bit)

    with pytest.raises(ProofError):
        merkle.verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), leaves=st.lists(st.binary(max_size=8), min_size=2, max_size=70))
def test_any_one_bit_change_to_a_consistency_proof_or_either_root_is_rejected(
    data: st.DataObject, leaves: list[bytes]
) -> None:
    tree = compact.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    new = data.draw(st.integers(2, len(leaves)), label="new")
    old = data.draw(st.integers(1, new - 1), label="old")
    proof = merkle.consistency_proof(old, new, tree.get_node)
    old_root, new_root = tree.root(old), tree.root(new)
    target = data.draw(st.integers(0, len(proof) + 1), label="target")
    bit = data.draw(st.integers(0, 255), label="bit")
    if target == len(proof):
        old_root = _flip(old_root, bit)
    elif target == len(proof) + 1:
        new_root = _flip(new_root, bit)
    else:
        proof[target] = _flip(proof[target], bit)

    with pytest.raises(ProofError):
        merkle.verify_consistency(old, new, old_root, new_root, proof)


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    leaves=st.lists(st.binary(max_size=8), min_size=2, max_size=40, unique=True),
)
def test_a_proof_for_another_index_of_distinct_leaves_is_rejected(
    data: st.DataObject, leaves: list[bytes]
) -> None:
    tree = compact.MemoryTree(merkle.leaf_hash(leaf) for leaf in leaves)
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="other")
    proof = merkle.inclusion_proof(index, size, tree.get_node)

    with pytest.raises(ProofError):
        merkle.verify_inclusion(other, size, tree.get_node(0, index), proof, tree.root())


@settings(max_examples=100, deadline=None)
@given(leaves=st.lists(st.binary(max_size=4), max_size=300), cut=st.integers(0, 300))
def test_a_compact_range_resumed_from_stored_nodes_continues_the_same_tree(
    leaves: list[bytes], cut: int
) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    cut = min(cut, len(hashes))
    tree = compact.MemoryTree(hashes)
    resumed = compact.CompactRange.from_nodes(cut, tree.get_node)
    for value in hashes[cut:]:
        resumed.append(value)

    assert resumed.size == len(hashes)
    assert resumed.root() == tree.root()
    assert len(resumed.roots) == len(hashes).bit_count()


def test_append_returns_every_node_the_leaf_completes_from_the_leaf_up() -> None:
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(8)]
    growing = compact.CompactRange()
    created = [growing.append(value) for value in hashes]

    assert [[node for node, _ in step] for step in created] == [
        [(0, 0)],
        [(0, 1), (1, 0)],
        [(0, 2)],
        [(0, 3), (1, 1), (2, 0)],
        [(0, 4)],
        [(0, 5), (1, 2)],
        [(0, 6)],
        [(0, 7), (1, 3), (2, 1), (3, 0)],
    ]
    assert created[-1][-1][1] == growing.root() == _naive_mth(hashes)


def test_a_compact_range_needs_one_root_per_set_bit_of_its_size() -> None:
    with pytest.raises(
        ProofError, match=r"^a tree of size 5 has 2 complete-subtree roots \(got 1\)$"
    ):
        compact.CompactRange(5, [bytes(32)])


@pytest.mark.parametrize("size", [10**4, 10**6, 10**7, 2**40 + 12345])
def test_a_proof_reads_a_logarithmic_number_of_stored_nodes_at_any_size(size: int) -> None:
    depth = (size - 1).bit_length()
    worst_inclusion = max(
        len(merkle.plan_nodes(merkle.inclusion_plan(index, size)))
        for index in (0, 1, size // 3, size // 2, size - 2, size - 1)
    )
    worst_consistency = max(
        len(merkle.plan_nodes(merkle.consistency_plan(old, size)))
        for old in (1, 3, size // 3, size // 2 + 1, size - 1)
    )

    assert worst_inclusion <= 2 * depth
    assert worst_consistency <= 2 * depth
    assert len(merkle.root_plan(size)) == size.bit_count()
