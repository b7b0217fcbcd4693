"""Offline verification of a tile export: the checkpoint, every bundle and tile recomputed;
one changed byte anywhere is caught (Hypothesis)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.ledger.core.checkpoint import Checkpoint, sign_checkpoint
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash, root_from_nodes
from readiness.ledger.core.tiles import (
    TILE_WIDTH,
    bundles_for_size,
    encode_entry_bundle,
    tile_data,
    tiles_for_size,
)
from readiness.ledger.witness.offline import verify_export
from tests.ledger.witness.conftest import AT, LOG, ORIGIN, OTHER, WITNESS, entries

SIZE = 300  # a full and a partial bundle, level-0 tiles 000 and 001.p/44, tile 1/000.p/1


def write_export(directory: Path, size: int = SIZE) -> list[str]:
    """An export as `audit export-tiles` writes it, cosigned by WITNESS; its file paths."""
    data = entries(size)
    tree = MemoryTree(leaf_hash(e) for e in data)
    files: dict[str, bytes] = {}
    for tile in tiles_for_size(size):
        files[tile.path] = tile_data(tile, tree.get_node)
    for bundle in bundles_for_size(size):
        start = bundle.index * TILE_WIDTH
        files[bundle.path] = encode_entry_bundle(data[start : start + bundle.width])
    checkpoint = Checkpoint(ORIGIN, size, root_from_nodes(size, tree.get_node))
    note = sign_checkpoint(checkpoint, LOG)
    files["checkpoint"] = (
        note + WITNESS.cosign(checkpoint.body(), int(AT.timestamp())).line
    ).encode()
    for path, content in files.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_bytes(content)
    return sorted(files)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    directory = tmp_path_factory.mktemp("export")
    return directory, write_export(directory)


def test_an_intact_export_verifies_with_the_log_key_and_the_witness_key(
    export: tuple[Path, list[str]],
) -> None:
    directory, paths = export

    report = verify_export(directory, LOG.verifier, [WITNESS.verifier])

    assert paths == [
        "checkpoint",
        "tile/0/000",
        "tile/0/001.p/44",
        "tile/1/000.p/1",
        "tile/entries/000",
        "tile/entries/001.p/44",
    ]
    assert report.as_dict() == {
        "verified": True,
        "size": SIZE,
        "checkpoints": 1,
        "cosigned_by": [WITNESS.name],
        "errors": [],
    }


def test_a_witness_that_did_not_cosign_is_an_error(export: tuple[Path, list[str]]) -> None:
    report = verify_export(export[0], LOG.verifier, [OTHER.verifier])
    assert report.errors == [
        f"checkpoint: no cosignature by the witness {OTHER.name}+{OTHER.key_id:08x}"
    ]


def test_a_missing_tile_and_a_missing_bundle_are_named(tmp_path: Path) -> None:
    write_export(tmp_path)
    (tmp_path / "tile/1/000.p/1").unlink()
    assert verify_export(tmp_path, LOG.verifier).errors == ["tile/1/000.p/1: missing"]
    (tmp_path / "tile/entries/001.p/44").unlink()
    assert verify_export(tmp_path, LOG.verifier).errors == ["tile/entries/001.p/44: missing"]


def test_a_rewritten_entry_is_caught_by_its_tile_and_the_root(tmp_path: Path) -> None:
    write_export(tmp_path)
    bundle = tmp_path / "tile/entries/000"
    bundle.write_bytes(bundle.read_bytes().replace(b"event 7", b"event X"))

    report = verify_export(tmp_path, LOG.verifier)

    assert report.errors[0] == (
        "tile/0/000: its hashes are not the ones the entries give (level 0 nodes 0-255)"
    )
    assert report.errors[-1].startswith("checkpoint: the entries give the root ")


def test_an_empty_log_export_is_the_checkpoint_alone(tmp_path: Path) -> None:
    assert write_export(tmp_path, 0) == ["checkpoint"]
    assert verify_export(tmp_path, LOG.verifier).as_dict()["verified"] is True


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_one_changed_byte_of_any_file_is_caught(
    export: tuple[Path, list[str]], data: st.DataObject
) -> None:
    directory, paths = export
    path = directory / data.draw(st.sampled_from(paths), label="file")
    original = path.read_bytes()
    position = data.draw(st.integers(0, len(original) - 1), label="byte")
    flip = data.draw(st.integers(1, 255), label="xor")
    changed = bytearray(original)
    changed[position] ^= flip
    path.write_bytes(bytes(changed))
    try:
        report = verify_export(directory, LOG.verifier, [WITNESS.verifier])
    finally:
        path.write_bytes(original)
    assert not report.verified
    assert report.errors


def test_the_fixture_export_is_restored_after_tampering(
    export: tuple[Path, list[str]], tmp_path: Path
) -> None:
    shutil.copytree(export[0], tmp_path / "copy")
    assert verify_export(tmp_path / "copy", LOG.verifier).verified
