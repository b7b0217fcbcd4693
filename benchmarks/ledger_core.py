"""What the ledger's pure Merkle core costs: proofs at 10M leaves, and root computation.

1. Builds the stored complete-subtree levels of a ``--leaves`` tree (default 10,000,000; entry
   ``i`` is its 8-byte big-endian index) as one contiguous buffer per level, the way a tile store
   keeps them, and serves ``get_node(level, index)`` from those buffers.
2. Times ``--proofs`` inclusion proofs (default 2,000, seeded random indices) generated through the
   node getter and verified against the root, and the same for consistency proofs; reports p50 and
   p99 microseconds. For tree sizes 1e4, 1e6 and 1e7 it reports the worst number of stored nodes
   read and of hashes computed per proof: the O(log n) claim, counted rather than asserted.
3. Root computation rate: ``--root-leaves`` entries (default 1,000,000) appended one by one to a
   ``CompactRange`` (what the sequencer does), leaves per second, next to the peer measured in the
   same run: a bare hashlib loop doing only the SHA-256 calls any RFC 9162 root needs (one per leaf,
   one per interior node) on the same bytes. ``ratio`` is ours over the peer's rate, best of
   ``--repeat`` alternated rounds. Proof times are given as wall and as CPU time: on a shared
   machine the wall p99 measures the scheduler more than the code.

Prints one JSON line.

    .venv/bin/python benchmarks/ledger_core.py [--leaves 10000000] [--proofs 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import time
from collections.abc import Callable

from readiness.ledger.core import compact, merkle

_sha = hashlib.sha256


def _entry(i: int) -> bytes:
    return i.to_bytes(8, "big")


def _build_levels(size: int) -> list[bytearray]:
    """Every complete node of the tree, level by level, 32 bytes per node."""
    levels = [bytearray()]
    chunk = 1 << 20
    for start in range(0, size, chunk):
        stop = min(size, start + chunk)
        levels[0] += b"".join(_sha(b"\x00" + _entry(i)).digest() for i in range(start, stop))
    while len(levels[-1]) >= 64:
        below = memoryview(levels[-1])
        count = len(below) // 64
        levels.append(
            bytearray(
                b"".join(_sha(b"\x01" + below[64 * j : 64 * j + 64]).digest() for j in range(count))
            )
        )
    return levels


def _getter(levels: list[bytearray], reads: list[int]) -> Callable[[int, int], bytes]:
    def get_node(level: int, index: int) -> bytes:
        reads[0] += 1
        offset = 32 * index
        if level >= len(levels) or offset + 32 > len(levels[level]):
            raise KeyError((level, index))
        return bytes(levels[level][offset : offset + 32])

    return get_node


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _time_proofs(
    size: int, count: int, get_node: Callable[[int, int], bytes], rng: random.Random
) -> dict[str, float]:
    """p50/p99 of wall and CPU microseconds per proof (generated and verified)."""
    root = merkle.root_from_nodes(size, get_node)
    samples: dict[str, list[float]] = {"inclusion": [], "consistency": []}
    cpu: dict[str, list[float]] = {"inclusion": [], "consistency": []}
    for _ in range(count):
        index = rng.randrange(size)
        start, start_cpu = time.perf_counter(), time.process_time()
        proof = merkle.inclusion_proof(index, size, get_node)
        merkle.verify_inclusion(index, size, get_node(0, index), proof, root)
        samples["inclusion"].append((time.perf_counter() - start) * 1e6)
        cpu["inclusion"].append((time.process_time() - start_cpu) * 1e6)
    for _ in range(count):
        old = rng.randrange(1, size)
        start, start_cpu = time.perf_counter(), time.process_time()
        old_root = merkle.root_from_nodes(old, get_node)
        proof = merkle.consistency_proof(old, size, get_node)
        merkle.verify_consistency(old, size, old_root, root, proof)
        samples["consistency"].append((time.perf_counter() - start) * 1e6)
        cpu["consistency"].append((time.process_time() - start_cpu) * 1e6)
    result: dict[str, float] = {}
    for kind in ("inclusion", "consistency"):
        p50, p99 = _percentiles(samples[kind])
        c50, c99 = _percentiles(cpu[kind])
        result[f"{kind}_us_p50"] = round(p50, 1)
        result[f"{kind}_us_p99"] = round(p99, 1)
        result[f"{kind}_cpu_us_p50"] = round(c50, 1)
        result[f"{kind}_cpu_us_p99"] = round(c99, 1)
    return result


def _proof_costs(size: int) -> dict[str, int]:
    """Worst stored-node reads and hash computations of a proof, over a spread of positions."""
    indices = {0, 1, size // 3, size // 2, size - 2, size - 1} - {-1}
    olds = {1, 3, size // 3, size // 2 + 1, size - 1} - {0}
    inclusion_reads = max(len(merkle.plan_nodes(merkle.inclusion_plan(i, size))) for i in indices)
    inclusion_hashes = max(len(merkle.inclusion_plan(i, size)) for i in indices)
    consistency_reads = max(
        len(merkle.plan_nodes(merkle.consistency_plan(m, size))) for m in olds if m < size
    )
    return {
        "size": size,
        "inclusion_nodes_read": inclusion_reads,
        # verification: one node hash per proof element
        "inclusion_hashes_verified": inclusion_hashes,
        "consistency_nodes_read": consistency_reads,
    }


def _ours(entries: list[bytes]) -> tuple[float, bytes]:
    start = time.perf_counter()
    growing = compact.CompactRange()
    for entry in entries:
        growing.append(merkle.leaf_hash(entry))
    root = growing.root()
    return time.perf_counter() - start, root


def _peer(entries: list[bytes]) -> tuple[float, bytes]:
    start = time.perf_counter()
    level = [_sha(b"\x00" + entry).digest() for entry in entries]
    while len(level) > 1:
        pairs = range(0, len(level) - 1, 2)
        paired = [_sha(b"\x01" + level[i] + level[i + 1]).digest() for i in pairs]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return time.perf_counter() - start, level[0]


def _root_rates(count: int, repeat: int) -> dict[str, float]:
    """Best of ``repeat`` alternated rounds of ours and the peer (the machine is shared)."""
    entries = [_entry(i) for i in range(count)]
    ours_s = peer_s = float("inf")
    for _ in range(repeat):
        elapsed, ours = _ours(entries)
        ours_s = min(ours_s, elapsed)
        elapsed, peer = _peer(entries)
        peer_s = min(peer_s, elapsed)
    # The bottom-up pairing is RFC 9162's tree only when the size is a power of two.
    if count & (count - 1) == 0 and peer != ours:
        raise SystemExit("the peer's root differs from ours")
    return {
        "root_leaves": count,
        "root_leaves_per_s": round(count / ours_s),
        "peer_hashlib_leaves_per_s": round(count / peer_s),
        "ratio_vs_hashlib": round(peer_s / ours_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--root-leaves", type=int, default=1 << 20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    start = time.perf_counter()
    levels = _build_levels(args.leaves)
    build_s = time.perf_counter() - start
    reads = [0]
    get_node = _getter(levels, reads)
    timings = _time_proofs(args.leaves, args.proofs, get_node, rng)
    reads_per_proof = reads[0] / (2 * args.proofs)
    sizes = [s for s in (10**4, 10**6, 10**7) if s <= args.leaves]
    result = {
        "benchmark": "ledger_core",
        "leaves": args.leaves,
        "build_levels_s": round(build_s, 1),
        "build_leaves_per_s": round(args.leaves / build_s),
        "proofs": args.proofs,
        **timings,
        "node_reads_per_proof_avg": round(reads_per_proof, 1),
        "proof_costs": [_proof_costs(size) for size in sizes],
        **_root_rates(args.root_leaves, args.repeat),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
