"""The ledger of one log on the audit database: append, roots, proofs, checkpoints, export.

:class:`LedgerService` owns the log's :class:`~readiness.ledger.sequencer.Sequencer` in this
process; reads go to the stored nodes, each proof in one query through the core's plans
(:func:`~readiness.ledger.core.merkle.inclusion_plan` and friends), asking only for the nodes
the service's :class:`~readiness.ledger.reads.NodeCache` does not hold yet, on a connection
kept for reads (:class:`~readiness.ledger.reads.ReadConnections`: no pool ping before it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock
from readiness.errors import NotFoundError, ProofError, SignatureError
from readiness.ledger import store
from readiness.ledger.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from readiness.ledger.core.cosignature import CosignatureVerifier
from readiness.ledger.core.merkle import (
    NodeId,
    assemble,
    consistency_plan,
    fold,
    inclusion_plan,
    plan_nodes,
    root_plan,
)
from readiness.ledger.core.note import Ed25519Signer, Ed25519Verifier
from readiness.ledger.core.tiles import (
    CHECKPOINT_PATH,
    TILE_HEIGHT,
    TILE_WIDTH,
    bundles_for_size,
    encode_entry_bundle,
    tile_nodes,
    tiles_for_size,
)
from readiness.ledger.reads import (
    DEFAULT_CACHED_NODES,
    DEFAULT_KEPT_CONNECTIONS,
    NodeCache,
    ReadConnections,
)
from readiness.ledger.sequencer import DEFAULT_MAX_BATCH, DEFAULT_WINDOW_MS, Sequencer
from readiness.ledger.verify import VerifyReport, verify_log
from readiness.storage.files import make_private_dir


@dataclass(frozen=True)
class InclusionProof:
    """Leaf ``index`` of the tree of ``size``: its leaf hash, the RFC 9162 path, the root."""

    index: int
    size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]
    root: bytes


@dataclass(frozen=True)
class TileExport:
    """What :meth:`LedgerService.export_tiles` wrote."""

    size: int
    tiles: int
    bundles: int
    checkpoint: str


class LedgerService:
    """One log (named by its ``origin``) on the audit database ``engine``.

    ``cached_nodes``: how many stored interior nodes proofs keep in this process (0: none);
    ``kept_connections``: how many PostgreSQL connections reads keep checked out."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        signer: Ed25519Signer,
        origin: str,
        *,
        window_ms: float = DEFAULT_WINDOW_MS,
        max_batch: int = DEFAULT_MAX_BATCH,
        cached_nodes: int = DEFAULT_CACHED_NODES,
        kept_connections: int = DEFAULT_KEPT_CONNECTIONS,
    ) -> None:
        if signer.name != origin:
            raise ProofError(
                f"the log's signer is named {signer.name!r}; a checkpoint signer is named like "
                f"the log's origin {origin!r}"
            )
        self._engine = engine
        self._clock = clock
        self._signer = signer
        self._origin = origin
        self._sequencer: Sequencer | None = None
        self._lock = threading.Lock()
        self._window_ms = window_ms
        self._max_batch = max_batch
        self._proof_size: int | None = None  # the tree size the newest proof was made for
        self._cache = NodeCache(cached_nodes)
        self._reads = ReadConnections(engine, kept_connections)

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def verifier(self) -> Ed25519Verifier:
        """The log's public key (its ``vkey`` is the signed-note verifier key string)."""
        return self._signer.verifier

    def append(self, entries: Sequence[bytes]) -> list[int]:
        """Append ``entries``; their leaf indices, once durable (thread-safe)."""
        return self._get_sequencer().append(entries)

    def _get_sequencer(self) -> Sequencer:
        with self._lock:  # two first appends at once still start one sequencer
            if self._sequencer is None:
                self._sequencer = Sequencer(
                    self._engine,
                    self._origin,
                    self._clock,
                    window_ms=self._window_ms,
                    max_batch=self._max_batch,
                )
            return self._sequencer

    @property
    def node_cache(self) -> NodeCache:
        """The stored nodes this service's proofs keep (see :mod:`readiness.ledger.reads`)."""
        return self._cache

    def close(self) -> None:
        """Stop this process's sequencer (after writing what is pending); release the
        connections kept for reads."""
        with self._lock:
            sequencer, self._sequencer = self._sequencer, None
        if sequencer is not None:
            sequencer.close()
        self._reads.close()

    def size(self) -> int:
        with self._engine.connect() as conn:
            return store.stored_size(conn, self._origin)

    def _size_or_current(self, conn: Connection, size: int | None) -> int:
        current = store.stored_size(conn, self._origin)
        if size is None:
            return current
        if not 0 <= size <= current:
            raise ProofError(f"tree size {size} is not between 0 and the log's size {current}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the tree of ``size`` leaves (default: the current size)."""

        def read(conn: Connection) -> bytes:
            plan = root_plan(self._size_or_current(conn, size))
            found = self._fetch(conn, plan)
            return fold([found[node] for node in plan])

        return self._reads.run(read)

    def prove_inclusion(self, index: int, size: int | None = None) -> InclusionProof:
        """The inclusion proof of leaf ``index`` in the tree of ``size`` (default: current).

        One round trip on PostgreSQL when the tree size is known: the given ``size``, or for
        the current tree the size the previous proof saw (the log's size and the nodes of that
        tree are fetched together; when the log has grown since, the nodes of the current tree
        are fetched again)."""
        return self._reads.run(lambda conn: self._prove_inclusion(conn, index, size))

    def _prove_inclusion(self, conn: Connection, index: int, size: int | None) -> InclusionProof:
        guess = size if size is not None else self._proof_size
        found: dict[NodeId, bytes] | None = None
        if guess is not None and 0 <= index < guess:
            parts = _InclusionParts(index, guess)
            cached, missing = self._cache.split(parts.nodes)
            current, read = store.size_and_nodes(conn, self._origin, missing)
            if read is not None:
                self._cache.keep(read, missing)
                found = {**cached, **read}
            if size is None and current != guess:
                found = None  # the log grew: prove against the current tree
            if size is not None and not 0 <= size <= current:
                raise ProofError(f"tree size {size} is not between 0 and the log's size {current}")
        if found is None:
            parts = _InclusionParts(index, self._size_or_current(conn, size))
            found = self._fetch(conn, parts.nodes)
        if self._proof_size is None or parts.size > self._proof_size:
            self._proof_size = parts.size
        nodes: dict[NodeId, bytes] = found
        path = assemble(parts.plan, lambda level, i: nodes[(level, i)])
        root = fold([found[node] for node in parts.roots])
        return InclusionProof(index, parts.size, found[(0, index)], tuple(path), root)

    def _fetch(self, conn: Connection, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """The named nodes: the cached ones, the rest in one query (then cached)."""
        found, missing = self._cache.split(nodes)
        if missing:
            read = store.fetch_nodes(conn, self._origin, missing)
            self._cache.keep(read, missing)
            found.update(read)
        return found

    def prove_consistency(self, old: int, new: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of ``old`` to the tree of ``new``."""
        plan = consistency_plan(old, new)

        def read(conn: Connection) -> dict[NodeId, bytes]:
            self._size_or_current(conn, new)
            return self._fetch(conn, plan_nodes(plan))

        found = self._reads.run(read)
        return assemble(plan, lambda level, i: found[(level, i)])

    def checkpoint(self) -> store.StoredCheckpoint:
        """Sign the current tree head, store it, and return it (``note`` is the signed note)."""
        with self._engine.begin() as conn:
            size = store.stored_size(conn, self._origin)
            found = store.fetch_nodes(conn, self._origin, root_plan(size))
            root = assemble((root_plan(size),), lambda level, i: found[(level, i)])[0]
            note = sign_checkpoint(Checkpoint(self._origin, size, root), self._signer)
            at = self._clock.now()
            checkpoint_id = store.insert_checkpoint(
                conn, self._origin, size, root, note=note, at=at
            )
        return store.StoredCheckpoint(checkpoint_id, size, root, note, at)

    def checkpoints(self) -> list[store.StoredCheckpoint]:
        with self._engine.connect() as conn:
            return store.list_checkpoints(conn, self._origin)

    def _stored_checkpoint(self, checkpoint_id: int) -> store.StoredCheckpoint:
        for stored in self.checkpoints():
            if stored.id == checkpoint_id:
                return stored
        raise NotFoundError(f"log {self._origin!r} has no checkpoint {checkpoint_id}")

    def add_cosignature(self, checkpoint_id: int, witness: CosignatureVerifier, line: str) -> None:
        """Store a witness's ``cosignature/v1`` line for a checkpoint, once it verifies."""
        stored = self._stored_checkpoint(checkpoint_id)
        if not line.endswith("\n"):
            line += "\n"
        opened = open_checkpoint(
            stored.note + line, self.verifier, origin=self._origin, witnesses=[witness]
        )
        if not any(
            sig.name == witness.name and sig.key_id == witness.key_id
            for sig in opened.note.verified
        ):
            raise SignatureError(
                f"the line is not a cosignature by the witness {witness.name}+{witness.key_id:08x}"
            )
        with self._engine.begin() as conn:
            if line not in store.list_cosignatures(conn, checkpoint_id):
                store.insert_cosignatures(
                    conn, checkpoint_id, [(witness.name, witness.key_id, line)], self._clock.now()
                )

    def cosigned_note(self, checkpoint_id: int) -> str:
        """The checkpoint's signed note with every stored witness cosignature line after it."""
        stored = self._stored_checkpoint(checkpoint_id)
        with self._engine.connect() as conn:
            return stored.note + "".join(store.list_cosignatures(conn, checkpoint_id))

    def verify(self) -> VerifyReport:
        """Recompute everything from the stored entries (see :func:`verify_log`)."""
        return verify_log(self._engine, self._origin, self.verifier)

    def export_tiles(
        self, directory: Path, *, bodies: Callable[[int], bytes | None] | None = None
    ) -> TileExport:
        """Write the latest checkpoint's tree as C2SP tiles, entry bundles and ``checkpoint``.

        A checkpoint of the current size is made first when the newest one is older.
        ``bodies(leaf)`` gives the entry of a leaf whose stored body is empty (an archived leaf,
        read from its archive tier; None: none there, the empty body is written).
        """
        stored = self.checkpoints()
        current = self.size()
        latest = stored[-1] if stored and stored[-1].size == current else self.checkpoint()
        size = latest.size
        make_private_dir(directory)
        tiles = bundles = 0
        with self._engine.connect() as conn:
            for tile in tiles_for_size(size):
                nodes = tile_nodes(tile)
                level = (tile.level or 0) * TILE_HEIGHT
                data = b"".join(
                    store.level_nodes(conn, self._origin, level, nodes.start, nodes.stop)
                )
                _write(directory / tile.path, data)
                tiles += 1
            for bundle in bundles_for_size(size):
                start = bundle.index * TILE_WIDTH
                entries = [
                    _body(index, entry, bodies)
                    for index, entry, _ in store.iter_entries(
                        conn, self._origin, start, start + bundle.width
                    )
                ]
                _write(directory / bundle.path, encode_entry_bundle(entries))
                bundles += 1
        note = self.cosigned_note(latest.id)  # with the witnesses' cosignatures (if any)
        _write(directory / CHECKPOINT_PATH, note.encode())
        return TileExport(size, tiles, bundles, note)


class _InclusionParts:
    """What the inclusion proof of leaf ``index`` in the tree of ``size`` folds: the proof's
    plan, the root's nodes, and every node to read (computed once per proof)."""

    __slots__ = ("nodes", "plan", "roots", "size")

    def __init__(self, index: int, size: int) -> None:
        self.size = size
        self.plan = inclusion_plan(index, size)
        self.roots = root_plan(size)
        self.nodes = plan_nodes((*self.plan, ((0, index),), self.roots))


def _body(index: int, entry: bytes, bodies: Callable[[int], bytes | None] | None) -> bytes:
    """A leaf's entry for an export: the stored one, or the archived one when it was emptied."""
    if entry or bodies is None:
        return entry
    return bodies(index) or entry


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
