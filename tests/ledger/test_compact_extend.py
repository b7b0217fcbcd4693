"""CompactRange.extend (a batch at once) equals append leaf by leaf: nodes, roots, size."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.errors import ProofError
from readiness.ledger.core.compact import CompactRange


def _leaves(count: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(count)]


@given(before=st.integers(0, 600), batches=st.lists(st.integers(0, 300), max_size=4))
def test_extend_creates_the_nodes_and_roots_of_appending_one_by_one(
    before: int, batches: list[int]
) -> None:
    leaves = _leaves(before + sum(batches))
    one_by_one, bulk = CompactRange(), CompactRange()
    for leaf in leaves[:before]:
        one_by_one.append(leaf)
    bulk.extend(leaves[:before])
    position = before
    for count in batches:
        batch = leaves[position : position + count]
        position += count
        expected = [node for leaf in batch for node in one_by_one.append(leaf)]

        assert sorted(bulk.extend(batch)) == sorted(expected)
        assert (bulk.size, bulk.roots, bulk.root()) == (
            one_by_one.size,
            one_by_one.roots,
            one_by_one.root(),
        )


def test_extend_refuses_a_leaf_of_the_wrong_size_and_changes_nothing() -> None:
    tree = CompactRange()
    tree.extend(_leaves(3))
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes"):
        tree.extend([*_leaves(2), b"short"])
    assert tree.size == 3


@pytest.mark.parametrize("from_level", [1, 4])
def test_extend_from_a_level_returns_only_the_nodes_of_that_level_and_above(
    from_level: int,
) -> None:
    every, some = CompactRange(), CompactRange()
    every.extend(_leaves(5))
    some.extend(_leaves(5), from_level=from_level)
    batch = _leaves(37)[5:]

    expected = [node for node in every.extend(batch) if node[0][0] >= from_level]

    assert some.extend(batch, from_level=from_level) == expected
    assert (some.size, some.roots) == (every.size, every.roots)
