"""Exact refusals of the ledger core's edge cases, one behaviour per test."""

from __future__ import annotations

import pytest

from readiness.errors import (
    CheckpointFormatError,
    KeyFormatError,
    LedgerError,
    NoteFormatError,
    ProofError,
    ReadinessError,
    SignatureError,
    TileFormatError,
)
from readiness.ledger.core import compact, merkle, note, tiles
from readiness.ledger.core.checkpoint import Checkpoint
from readiness.ledger.core.cosignature import CosignatureSigner, cosigned_message


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (LedgerError, "ledger_invalid"),
        (ProofError, "proof_invalid"),
        (NoteFormatError, "note_malformed"),
        (KeyFormatError, "key_malformed"),
        (SignatureError, "signature_invalid"),
        (CheckpointFormatError, "checkpoint_malformed"),
        (TileFormatError, "tile_malformed"),
    ],
)
def test_every_ledger_error_is_a_400_readiness_error_with_its_code(
    error: type[LedgerError], code: str
) -> None:
    assert issubclass(error, LedgerError)
    assert issubclass(error, ReadinessError)
    assert (error.code, error.http_status) == (code, 400)


def test_a_leaf_hash_of_the_wrong_length_cannot_be_appended() -> None:
    with pytest.raises(ProofError, match=r"^leaf hash must be 32 bytes \(got 31\)$"):
        compact.CompactRange().append(bytes(31))


def test_a_proof_hash_of_the_wrong_length_is_refused_by_position() -> None:
    with pytest.raises(ProofError, match=r"^proof hash 1 must be 32 bytes \(got 33\)$"):
        merkle.verify_inclusion(0, 4, bytes(32), [bytes(32), bytes(33)], bytes(32))


def test_a_memory_tree_has_no_root_beyond_its_size() -> None:
    tree = compact.MemoryTree([merkle.leaf_hash(b"a")])

    with pytest.raises(ProofError, match=r"^tree size 2 is larger than the tree \(1 leaves\)$"):
        tree.root(2)


def test_the_empty_fold_is_the_empty_root() -> None:
    assert merkle.fold([]) == merkle.EMPTY_ROOT
    assert merkle.root_from_nodes(0, lambda level, index: b"") == merkle.EMPTY_ROOT


def test_a_control_character_in_a_key_name_is_refused_by_name() -> None:
    with pytest.raises(KeyFormatError, match=r"^key name 'a\\x01' contains '\\x01'"):
        note.check_key_name("a\x01")


def test_an_empty_key_name_is_refused() -> None:
    with pytest.raises(KeyFormatError, match=r"^key name is empty"):
        note.check_key_name("")


def test_key_material_that_decodes_to_nothing_is_refused() -> None:
    with pytest.raises(KeyFormatError, match=r"\(got 0 bytes\)$"):
        note.Ed25519Verifier.from_vkey("name+00000000+")


def test_a_verifier_key_without_three_parts_is_refused() -> None:
    with pytest.raises(KeyFormatError, match=r"^verifier key 'name\+abc' is not of the form"):
        note.Ed25519Verifier.from_vkey("name+abc")


def test_a_public_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(KeyFormatError, match=r"public key of 'n' must be 32 bytes \(got 31\)$"):
        note.Ed25519Verifier("n", bytes(31))


def test_a_seed_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(KeyFormatError, match=r"seed of 'n' must be 32 bytes \(got 16\)$"):
        note.Ed25519Signer("n", bytes(16))
    with pytest.raises(KeyFormatError, match=r"seed of 'n' must be 32 bytes \(got 16\)$"):
        CosignatureSigner("n", bytes(16))


def test_a_signature_of_the_wrong_length_does_not_verify() -> None:
    signer = note.Ed25519Signer("n", bytes(32))

    assert signer.verifier.verify(b"m", signer.sign(b"m")) is True
    assert signer.verifier.verify(b"m", signer.sign(b"m")[:63]) is False


def test_a_note_without_signatures_cannot_be_written() -> None:
    with pytest.raises(NoteFormatError, match=r"^a signed note needs at least one signature$"):
        note.Note("text\n").format()
    with pytest.raises(NoteFormatError, match=r"^a signed note needs at least one signer$"):
        note.sign_note("text\n", [])


def test_a_lone_surrogate_in_a_note_text_is_refused() -> None:
    with pytest.raises(NoteFormatError, match=r"lone surrogate at offset 1$"):
        note.check_text("a\udc80\n")


def test_a_control_character_is_refused_with_its_offset() -> None:
    with pytest.raises(
        NoteFormatError, match=r"^note text holds the control character '\\x1b' at offset 2$"
    ):
        note.check_text("ab\x1b\n")


def test_a_checkpoint_with_a_control_character_in_its_origin_cannot_be_written() -> None:
    with pytest.raises(CheckpointFormatError, match=r"^checkpoint cannot be written: "):
        Checkpoint("a\x00b", 1, bytes(32)).body()


def test_a_cosigned_body_must_be_a_note_text() -> None:
    with pytest.raises(NoteFormatError, match=r"end with a newline$"):
        cosigned_message("no newline", 0)


def test_an_entry_bundle_has_no_hashes() -> None:
    with pytest.raises(TileFormatError, match=r"^an entry bundle holds entries, not hashes$"):
        tiles.tile_data(tiles.TileId(None, 0), lambda level, index: bytes(32))


def test_a_negative_tile_index_or_size_is_refused() -> None:
    with pytest.raises(TileFormatError, match=r"^tile index must be >= 0 \(got -1\)$"):
        tiles.encode_index(-1)
    with pytest.raises(TileFormatError, match=r"^tree size must be >= 0 \(got -1\)$"):
        tiles.tile_counts(-1)
    with pytest.raises(TileFormatError, match=r"0 <= since <= size \(got 5, 4\)$"):
        list(tiles.tiles_for_size(4, since=5))


def test_tile_ids_know_whether_they_are_partial_or_bundles() -> None:
    assert (tiles.TileId(0, 0).is_partial, tiles.TileId(0, 0, 5).is_partial) == (False, True)
    assert (tiles.TileId(None, 0).is_entries, tiles.TileId(0, 0).is_entries) == (True, False)
    assert tiles.CHECKPOINT_PATH == "checkpoint"
    assert (tiles.TILE_WIDTH, tiles.TILE_HEIGHT) == (256, 8)


def test_a_negative_node_position_is_not_read_from_the_end() -> None:
    tree = compact.MemoryTree([merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")])

    with pytest.raises(ProofError, match=r"^node \(level 0, index -1\) is not a complete"):
        tree.get_node(0, -1)
    with pytest.raises(ProofError, match=r"^node \(level -1, index 0\) is not a complete"):
        tree.get_node(-1, 0)


def test_a_compact_range_refuses_a_negative_size_or_a_short_root() -> None:
    with pytest.raises(ProofError, match=r"^tree size must be >= 0 \(got -1\)$"):
        compact.CompactRange(-1)
    with pytest.raises(ProofError, match=r"^subtree root 0 must be 32 bytes \(got 31\)$"):
        compact.CompactRange(1, [bytes(31)])


def test_a_leaf_hash_of_the_wrong_length_has_no_root() -> None:
    with pytest.raises(ProofError, match=r"^leaf hash must be 32 bytes \(got 0\)$"):
        merkle.root_hash([bytes(32), b""])
