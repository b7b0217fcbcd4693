"""RFC 9162 Merkle tree hashing and proofs, over stored complete subtrees.

The tree is the one of Certificate Transparency (RFC 9162 §2.1, identical to RFC 6962):
a leaf hashes as ``SHA-256(0x00 ‖ d)``, an interior node as ``SHA-256(0x01 ‖ left ‖ right)``,
the empty tree as ``SHA-256("")``.

A *node* ``(level, index)`` is the root of the complete subtree over the leaves
``[index·2^level, (index+1)·2^level)``; level 0 holds the leaf hashes. Only complete nodes ever
exist, and they never change once the log has grown past them, so a store can keep exactly those
(one row or one tile slot per node) and hand them to this module through a *node getter*
``get_node(level, index) -> bytes``. Any root, inclusion proof and consistency proof of any tree
size is then folded from at most ``2·log2(n)`` stored nodes.

Proof generation is split in two so a database store can fetch every node a proof needs in one
query: :func:`inclusion_plan` / :func:`consistency_plan` name the nodes, :func:`assemble` folds
them. :func:`inclusion_proof` and :func:`consistency_proof` do both through a getter.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and raises :class:`~readiness.errors.ProofError`
with the reason; it never returns a boolean that a caller could forget to check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from readiness.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

NodeGetter = Callable[[int, int], bytes]
"""``get_node(level, index)``: the stored hash of a complete subtree (level 0: a leaf hash)."""


NodeId = tuple[int, int]
"""``(level, index)``: the complete subtree over leaves ``[index·2^level, (index+1)·2^level)``."""


Plan = tuple[tuple[NodeId, ...], ...]
"""One entry per proof hash: the complete subtrees, left to right, whose fold is that hash."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one log entry: ``SHA-256(0x00 ‖ data)``."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: ``SHA-256(0x01 ‖ left ‖ right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _check_size(size: int, what: str = "tree size") -> None:
    if size < 0:
        raise ProofError(f"{what} must be >= 0 (got {size})")


def _check_old_size(old_size: int) -> None:
    if old_size < 1:
        raise ProofError(
            f"old tree size must be >= 1 (got {old_size}); every tree extends the empty tree, "
            "so a consistency proof from size 0 proves nothing: check the new tree head alone"
        )


def range_nodes(start: int, end: int) -> tuple[NodeId, ...]:
    """The complete subtrees, left to right, that tile the leaves ``[start, end)``.

    ``start`` must be a multiple of the largest power of two not above ``end - start`` (true of
    every range a proof or a root needs), so the decomposition is the binary digits of the size.
    """
    if not 0 <= start <= end:
        raise ProofError(f"leaf range [{start}, {end}) is not a range of leaves")
    nodes: list[NodeId] = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        width = 1 << level
        if (end - start) & width:
            if position % width:
                raise ProofError(f"leaf range [{start}, {end}) is not aligned to complete subtrees")
            nodes.append((level, position >> level))
            position += width
    return tuple(nodes)


def fold(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of adjacent complete subtrees given left to right, largest first."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def root_plan(size: int) -> tuple[NodeId, ...]:
    """The stored nodes whose fold is the root of the tree of ``size`` leaves."""
    _check_size(size)
    return range_nodes(0, size)


def root_from_nodes(size: int, get_node: NodeGetter) -> bytes:
    """The root hash of the tree of ``size`` leaves, folded from stored complete subtrees."""
    return fold([get_node(*node) for node in root_plan(size)])


def root_hash(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree hash (RFC 9162 MTH) of a sequence of leaf hashes; ``EMPTY_ROOT`` if none."""
    roots: list[bytes] = []  # one complete-subtree root per set bit of the count so far
    for count, value in enumerate(leaf_hashes):
        _check_hashes((), ("leaf hash", value))
        acc = value
        index = count
        while index & 1:
            acc = node_hash(roots.pop(), acc)
            index >>= 1
        roots.append(acc)
    return fold(roots)


def _largest_power_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_plan(index: int, size: int) -> Plan:
    """The nodes of the RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in a tree of ``size``.

    Proof order is the RFC's: from the leaf's sibling up to the root's other child.
    """
    _check_size(size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size} (0 <= index < size)")
    top_down: list[tuple[NodeId, ...]] = []
    low, high = 0, size
    while high - low > 1:
        split = low + _largest_power_below(high - low)
        if index < split:
            top_down.append(range_nodes(split, high))
            high = split
        else:
            top_down.append(range_nodes(low, split))
            low = split
    return tuple(reversed(top_down))


def consistency_plan(old_size: int, new_size: int) -> Plan:
    """The nodes of the RFC 9162 §2.1.4.1 consistency proof from ``old_size`` to ``new_size``.

    Empty when ``old_size`` equals ``new_size``. ``old_size`` 0 is refused: every tree extends the
    empty tree, so such a proof would prove nothing.
    """
    _check_old_size(old_size)
    if old_size > new_size:
        raise ProofError(
            f"old tree size {old_size} is larger than new tree size {new_size}; "
            "a consistency proof goes from a smaller tree to a larger one"
        )
    if old_size == new_size:
        return ()
    top_down: list[tuple[NodeId, ...]] = []
    low, high = 0, new_size
    whole = True  # the RFC's flag b: the old tree so far is a whole subtree of the new one
    while old_size != high:
        split = low + _largest_power_below(high - low)
        if old_size <= split:
            top_down.append(range_nodes(split, high))
            high = split
        else:
            top_down.append(range_nodes(low, split))
            low = split
            whole = False
    if not whole:
        top_down.append(range_nodes(low, high))
    return tuple(reversed(top_down))


def plan_nodes(plan: Plan) -> list[NodeId]:
    """Every distinct node a plan reads, in first-use order (for one batched fetch)."""
    return list(dict.fromkeys(node for step in plan for node in step))


def assemble(plan: Plan, get_node: NodeGetter) -> list[bytes]:
    """The proof hashes of a plan, each folded from its stored nodes."""
    return [fold([get_node(*node) for node in step]) for step in plan]


def inclusion_proof(index: int, size: int, get_node: NodeGetter) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    return assemble(inclusion_plan(index, size), get_node)


def consistency_proof(old_size: int, new_size: int, get_node: NodeGetter) -> list[bytes]:
    """The consistency proof from ``old_size`` to ``new_size`` leaves (RFC 9162 §2.1.4.1)."""
    return assemble(consistency_plan(old_size, new_size), get_node)


def _check_hashes(proof: Sequence[bytes], *named: tuple[str, bytes]) -> None:
    for name, value in named:
        if len(value) != HASH_SIZE:
            raise ProofError(f"{name} must be {HASH_SIZE} bytes (got {len(value)})")
    for position, value in enumerate(proof):
        if len(value) != HASH_SIZE:
            raise ProofError(f"proof hash {position} must be {HASH_SIZE} bytes (got {len(value)})")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to from ``leaf`` (a leaf hash): RFC 9162 §2.1.3.2.

    Raises :class:`ProofError` when the proof has the wrong length for ``index`` and ``size``.
    """
    _check_size(size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size} (0 <= index < size)")
    _check_hashes(proof, ("leaf hash", leaf))
    fn, sn = index, size - 1
    acc = leaf
    for value in proof:
        if sn == 0:
            raise ProofError(
                f"inclusion proof for leaf {index} of tree size {size} is too long "
                f"({len(proof)} hashes)"
            )
        if fn & 1 or fn == sn:
            acc = node_hash(value, acc)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            acc = node_hash(acc, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(
            f"inclusion proof for leaf {index} of tree size {size} is too short "
            f"({len(proof)} hashes)"
        )
    return acc


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) is entry ``index`` of the tree of ``size`` with ``root``.

    Raises :class:`ProofError` naming the reason; returns nothing when the proof holds.
    """
    _check_hashes((), ("root hash", root))
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} of tree size {size} leads to root "
            f"{computed.hex()}, not the expected {root.hex()}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``old_root`` of ``old_size`` is a prefix of ``new_root`` of ``new_size``.

    RFC 9162 §2.1.4.2, plus the cases the RFC leaves to the caller: equal sizes need an empty proof
    and equal roots; an old size of 0 is refused (as in transparency-dev/merkle: it proves nothing).
    """
    _check_old_size(old_size)
    if old_size > new_size:
        raise ProofError(
            f"old tree size {old_size} is larger than new tree size {new_size}; a log never shrinks"
        )
    _check_hashes(proof, ("old root hash", old_root), ("new root hash", new_root))
    if old_size == new_size:
        if proof:
            raise ProofError(
                f"consistency proof between equal sizes {old_size} must be empty "
                f"(got {len(proof)} hashes)"
            )
        if old_root != new_root:
            raise ProofError(
                f"two tree heads of size {old_size} have different roots {old_root.hex()} and "
                f"{new_root.hex()}: the log forked"
            )
        return
    old_acc, new_acc = _roots_from_consistency_path(old_size, new_size, old_root, proof)
    if old_acc != old_root:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} leads to old root "
            f"{old_acc.hex()}, not the expected {old_root.hex()}"
        )
    if new_acc != new_root:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} leads to new root "
            f"{new_acc.hex()}, not the expected {new_root.hex()}"
        )


def _roots_from_consistency_path(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 1–6: the old and new roots a proof leads to (0 < old < new)."""
    path = list(proof)
    if not path:
        raise ProofError(f"consistency proof from size {old_size} to {new_size} is empty")
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_acc = new_acc = path[0]
    for value in path[1:]:
        if sn == 0:
            raise ProofError(
                f"consistency proof from size {old_size} to {new_size} is too long "
                f"({len(proof)} hashes)"
            )
        if fn & 1 or fn == sn:
            old_acc = node_hash(value, old_acc)
            new_acc = node_hash(value, new_acc)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            new_acc = node_hash(new_acc, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} is too short "
            f"({len(proof)} hashes)"
        )
    return old_acc, new_acc
