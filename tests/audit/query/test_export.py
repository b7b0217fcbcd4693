"""Exports verify offline with only the log's public key; any edit of a row is caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readiness.audit.query.core import make_filters
from readiness.audit.query.export import read_export, verify_export_file, verify_rows, write_export
from readiness.errors import LedgerError, ProofError
from readiness.ledger.core.note import Ed25519Signer
from tests.audit.query.conftest import Trail, event


def export(trail: Trail, tmp_path: Path, fmt: str, **filters: Any) -> Path:
    trail.append([event(n, after={"amount": n}) for n in range(9)])
    prepared = trail.reader().export(make_filters(limit=1000, **filters), fmt)
    out = tmp_path / f"export.{fmt}"
    write_export(out, fmt, prepared.checkpoint.note, prepared.header, prepared.rows())
    return out


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_export_verifies_offline_with_only_the_public_key(
    trail: Trail, tmp_path: Path, fmt: str
) -> None:
    out = export(trail, tmp_path, fmt, actor_id="usr_2")
    check = verify_export_file(out, fmt, trail.signer.verifier.vkey)
    assert (check.origin, check.tree_size, check.rows) == (trail.origin, 9, 3)
    _, rows = read_export(out, fmt)
    assert [row["leaf_index"] for row in rows] == [8, 5, 2]
    assert rows[0]["entry"] == json.dumps(
        event(8, after={"amount": 8}), sort_keys=True, separators=(",", ":")
    )


def test_a_jsonl_export_starts_with_the_signed_checkpoint(trail: Trail, tmp_path: Path) -> None:
    out = export(trail, tmp_path, "jsonl", target_type="invoice", target_id="inv_1")
    header = json.loads(out.read_bytes().splitlines()[0])
    assert header["checkpoint"] == trail.ledger.checkpoints()[-1].note
    assert {k: header[k] for k in ("format", "log", "tree_size", "rows", "filters")} == {
        "format": "readiness.audit.export/v1",
        "log": trail.origin,
        "tree_size": 9,
        "rows": 2,
        "filters": {"target_type": "invoice", "target_id": "inv_1", "limit": 1000},
    }


def rows_of(trail: Trail, tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    return read_export(export(trail, tmp_path, "jsonl"), "jsonl")


def test_an_edited_column_is_caught(trail: Trail, tmp_path: Path) -> None:
    note, rows = rows_of(trail, tmp_path)
    rows[2]["actor_id"] = "usr_9"
    with pytest.raises(ProofError) as caught:
        verify_rows(note, rows, trail.signer.verifier.vkey)
    assert caught.value.message == (
        "row 3 (leaf 6): column actor_id says 'usr_9', the entry says 'usr_0'"
    )


def test_an_edited_entry_is_caught(trail: Trail, tmp_path: Path) -> None:
    note, rows = rows_of(trail, tmp_path)
    rows[0]["entry"] = rows[0]["entry"].replace('"amount":8', '"amount":9')
    with pytest.raises(
        ProofError,
        match=r"^row 1 \(leaf 8\): the entry hashes to [0-9a-f]{64}, "
        "not the leaf hash given$",
    ):
        verify_rows(note, rows, trail.signer.verifier.vkey)


def test_an_edited_leaf_hash_and_entry_together_fail_the_path(trail: Trail, tmp_path: Path) -> None:
    from readiness.ledger.core.merkle import leaf_hash

    note, rows = rows_of(trail, tmp_path)
    rows[4]["entry"] = rows[4]["entry"].replace('"amount":4', '"amount":5')
    rows[4]["leaf_hash"] = leaf_hash(rows[4]["entry"].encode()).hex()
    with pytest.raises(
        ProofError,
        match=r"^row 5 \(leaf 4\): inclusion proof for leaf 4 of "
        "tree size 9 leads to root",
    ):
        verify_rows(note, rows, trail.signer.verifier.vkey)


def test_a_moved_row_is_caught(trail: Trail, tmp_path: Path) -> None:
    note, rows = rows_of(trail, tmp_path)
    rows[0]["leaf_index"] = 7
    with pytest.raises(ProofError, match=r"^row 1 \(leaf 7\): inclusion proof for leaf 7"):
        verify_rows(note, rows, trail.signer.verifier.vkey)


def test_another_key_does_not_verify_the_checkpoint(trail: Trail, tmp_path: Path) -> None:
    note, rows = rows_of(trail, tmp_path)
    other = Ed25519Signer(trail.origin, bytes(32)).verifier.vkey
    with pytest.raises(LedgerError):
        verify_rows(note, rows, other)


def test_a_checkpoint_of_another_size_is_caught(trail: Trail, tmp_path: Path) -> None:
    _, rows = rows_of(trail, tmp_path)
    trail.append([event(99)])
    newer = trail.ledger.checkpoint().note
    with pytest.raises(
        ProofError,
        match=r"^row 1 \(leaf 8\): proved against tree size 9, "
        "the checkpoint's is 11$",
    ):
        verify_rows(newer, rows, trail.signer.verifier.vkey)
