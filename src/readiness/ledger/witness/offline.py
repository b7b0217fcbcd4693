"""Verify a tile export (``readiness audit export-tiles``) offline: files and keys only.

From the ``checkpoint`` file and the log's public key, :func:`verify_export` checks the
signature (and the cosignatures of the witness keys given), recomputes every leaf hash from the
entry bundles, every tile from those, and the root from the leaves; it opens no database. Each
problem is one error naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from readiness.errors import LedgerError
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.cosignature import CosignatureVerifier
from readiness.ledger.core.merkle import leaf_hash, node_hash, root_hash
from readiness.ledger.core.note import Ed25519Verifier
from readiness.ledger.core.tiles import (
    CHECKPOINT_PATH,
    TILE_HEIGHT,
    TILE_WIDTH,
    bundles_for_size,
    decode_entry_bundle,
    tile_nodes,
    tiles_for_size,
)


@dataclass
class OfflineReport:
    """What :func:`verify_export` found; verified only when ``errors`` is empty."""

    size: int = 0
    checkpoints: int = 0
    cosigned_by: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "verified": self.verified,
            "size": self.size,
            "checkpoints": self.checkpoints,
            "cosigned_by": list(self.cosigned_by),
            "errors": list(self.errors),
        }


def _read(directory: Path, path: str, report: OfflineReport) -> bytes | None:
    try:
        return (directory / path).read_bytes()
    except FileNotFoundError:
        report.errors.append(f"{path}: missing")
    except OSError as exc:
        report.errors.append(f"{path}: cannot be read: {exc.strerror}")
    return None


def _perfect_root(hashes: Sequence[bytes]) -> bytes:
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def verify_export(
    directory: Path, log: Ed25519Verifier, witnesses: Sequence[CosignatureVerifier] = ()
) -> OfflineReport:
    """Check the export in ``directory`` (see the module)."""
    report = OfflineReport()
    note = _read(directory, CHECKPOINT_PATH, report)
    if note is None:
        return report
    try:
        opened = open_checkpoint(note, log, witnesses=witnesses)
    except LedgerError as exc:
        report.errors.append(f"{CHECKPOINT_PATH}: {exc.message}")
        return report
    checkpoint = opened.checkpoint
    report.size = checkpoint.size
    report.checkpoints = 1
    signed = {(s.name, s.key_id) for s in opened.note.verified}
    for witness in witnesses:
        if (witness.name, witness.key_id) in signed:
            report.cosigned_by.append(witness.name)
        else:
            report.errors.append(
                f"{CHECKPOINT_PATH}: no cosignature by the witness "
                f"{witness.name}+{witness.key_id:08x}"
            )
    leaves: list[bytes] = []
    for bundle in bundles_for_size(checkpoint.size):
        data = _read(directory, bundle.path, report)
        try:
            entries = decode_entry_bundle(data, width=bundle.width) if data is not None else None
        except LedgerError as exc:
            report.errors.append(f"{bundle.path}: {exc.message}")
            entries = None
        if entries is None:
            return report  # the hashes above this bundle cannot be recomputed
        leaves.extend(leaf_hash(entry) for entry in entries)
    levels = [leaves]
    while len(levels[-1]) >= TILE_WIDTH:
        below = levels[-1]
        levels.append(
            [
                _perfect_root(below[i : i + TILE_WIDTH])
                for i in range(0, len(below) - TILE_WIDTH + 1, TILE_WIDTH)
            ]
        )
    for tile in tiles_for_size(checkpoint.size):
        level = tile.level or 0
        nodes = tile_nodes(tile)
        expected = b"".join(levels[level][nodes.start : nodes.stop])
        data = _read(directory, tile.path, report)
        if data is not None and data != expected:
            report.errors.append(
                f"{tile.path}: its hashes are not the ones the entries give "
                f"(level {level * TILE_HEIGHT} nodes {nodes.start}-{nodes.stop - 1})"
            )
    root = root_hash(leaves)
    if root != checkpoint.root_hash:
        report.errors.append(
            f"{CHECKPOINT_PATH}: the entries give the root {root.hex()}, the checkpoint signs "
            f"{checkpoint.root_hash.hex()}"
        )
    return report
