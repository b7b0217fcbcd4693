"""Growing trees: the compact range a sequencer keeps, and the in-memory reference node store.

:class:`CompactRange` is the right edge of a tree (one complete-subtree root per set bit of its
size): appending a leaf returns the complete nodes it creates, which is what a store persists so
that :mod:`readiness.ledger.core.merkle` can fold any root or proof from them. :class:`MemoryTree`
keeps every complete node in memory: the reference store, and the double tests use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from readiness.errors import ProofError
from readiness.ledger.core.merkle import (
    HASH_SIZE,
    NODE_PREFIX,
    NodeGetter,
    NodeId,
    fold,
    root_from_nodes,
    root_plan,
)

_sha256 = hashlib.sha256


class CompactRange:
    """The right edge of a growing tree: one complete-subtree root per set bit of its size.

    What a sequencer keeps in memory to append leaves and compute each new root without reading
    storage. :meth:`append` returns the nodes the new leaf completes, which is exactly what a store
    must persist for :func:`inclusion_proof` and :func:`consistency_proof` to work at any size.
    """

    __slots__ = ("_roots", "_size")

    def __init__(self, size: int = 0, roots: Sequence[bytes] = ()) -> None:
        """Resume from a tree of ``size`` leaves and its ``roots`` (see :meth:`from_nodes`)."""
        if size < 0:
            raise ProofError(f"tree size must be >= 0 (got {size})")
        if len(roots) != size.bit_count():
            raise ProofError(
                f"a tree of size {size} has {size.bit_count()} complete-subtree roots "
                f"(got {len(roots)})"
            )
        for position, value in enumerate(roots):
            if len(value) != HASH_SIZE:
                raise ProofError(
                    f"subtree root {position} must be {HASH_SIZE} bytes (got {len(value)})"
                )
        self._size = size
        self._roots = list(roots)

    @classmethod
    def from_nodes(cls, size: int, get_node: NodeGetter) -> CompactRange:
        """Resume from stored nodes: the range of a tree of ``size`` leaves."""
        return cls(size, [get_node(*node) for node in root_plan(size)])

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def roots(self) -> tuple[bytes, ...]:
        """The complete-subtree roots, left (largest) to right."""
        return tuple(self._roots)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Append one leaf hash; return the nodes it completes, from the leaf up."""
        if len(leaf) != HASH_SIZE:
            raise ProofError(f"leaf hash must be {HASH_SIZE} bytes (got {len(leaf)})")
        # The sequencer's hot path: hashlib inlined, no helper calls per level.
        index = self._size
        created = [((0, index), leaf)]
        roots = self._roots
        acc = leaf
        level = 0
        while index & 1:
            acc = _sha256(NODE_PREFIX + roots.pop() + acc).digest()
            index >>= 1
            level += 1
            created.append(((level, index), acc))
        roots.append(acc)
        self._size += 1
        return created

    def extend(self, leaves: Sequence[bytes], *, from_level: int = 0) -> list[tuple[NodeId, bytes]]:
        """Append many leaf hashes at once; return every node they complete of ``from_level``
        and above (by default every one, level 0 included).

        The same nodes and roots as :meth:`append` leaf by leaf, computed level by level in bulk
        (pairs of the level below, the old right edge joining where a level starts odd): what
        the sequencer uses for a batch (it stores only some levels).
        """
        for value in leaves:
            if len(value) != HASH_SIZE:
                raise ProofError(f"leaf hash must be {HASH_SIZE} bytes (got {len(value)})")
        size = self._size
        total = size + len(leaves)
        old = {level: self._roots[-1 - i] for i, level in enumerate(_set_bits(size))}
        created: list[tuple[NodeId, bytes]] = []
        edge: dict[int, bytes] = {}
        current = list(leaves)
        level = 0
        while current:
            start = size >> level
            if level >= from_level:
                created.extend(((level, start + i), value) for i, value in enumerate(current))
            edge[level] = current[-1]
            parents = []
            first = 0
            if start & 1:
                parents.append(_sha256(NODE_PREFIX + old[level] + current[0]).digest())
                first = 1
            parents.extend(
                _sha256(NODE_PREFIX + current[i] + current[i + 1]).digest()
                for i in range(first, len(current) - 1, 2)
            )
            current = parents
            level += 1
        self._roots = [
            edge[level] if level in edge else old[level] for level in reversed(_set_bits(total))
        ]
        self._size = total
        return created

    def root(self) -> bytes:
        """The root hash of the tree of :attr:`size` leaves."""
        return fold(self._roots)


def _set_bits(n: int) -> list[int]:
    """The levels of the complete-subtree roots of a tree of ``n`` leaves, smallest first."""
    return [level for level in range(n.bit_length()) if n >> level & 1]


class MemoryTree:
    """Every complete node of a tree, in memory: the reference node store, and a test double."""

    __slots__ = ("_levels", "_range")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = []
        self._range = CompactRange()
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._range.size

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash and store every node it completes."""
        for node, value in self._range.append(leaf):
            if node[0] == len(self._levels):
                self._levels.append([])
            self._levels[node[0]].append(value)

    def get_node(self, level: int, index: int) -> bytes:
        """The stored complete node ``(level, index)``; :class:`ProofError` if not complete."""
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise ProofError(
            f"node (level {level}, index {index}) is not a complete subtree of a tree of "
            f"size {self.size}"
        )

    def root(self, size: int | None = None) -> bytes:
        """The root hash at ``size`` (default: the current size)."""
        size = self.size if size is None else size
        if size > self.size:
            raise ProofError(f"tree size {size} is larger than the tree ({self.size} leaves)")
        return root_from_nodes(size, self.get_node)
