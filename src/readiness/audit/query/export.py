"""Exports of a query's events with inclusion proofs, and their offline verification.

Every exported row carries the entry exactly as the ledger stores it (``entry``: the event's
RFC 8785 canonical JSON), its decoded fields, and its inclusion proof against one signed
checkpoint: ``leaf_index``, ``tree_size``, ``leaf_hash`` and ``path`` (hex). The checkpoint's
signed note travels with the rows: the first line of a JSONL export, the ``readiness.checkpoint``
key of a Parquet file's metadata, and for CSV the file ``<name>.checkpoint`` beside it (over
HTTP, the ``Readiness-Checkpoint`` header, base64). :func:`verify_rows` needs nothing else but
the log's public key: it checks the note's signature, every leaf hash against its entry, every
path against the signed root, and that the decoded columns say what the entry says.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.audit.query.core import INDEXED
from readiness.errors import InputError, LedgerError, ProofError
from readiness.ledger.core.checkpoint import open_checkpoint
from readiness.ledger.core.merkle import leaf_hash, verify_inclusion
from readiness.ledger.core.note import Ed25519Verifier

FORMATS = ("jsonl", "csv", "parquet")
EXPORT_FORMAT = "readiness.audit.export/v1"
NOTE_KEY = b"readiness.checkpoint"
COLUMNS = (
    "leaf_index",
    "occurred_at",
    *INDEXED,
    "entry",
    "tree_size",
    "leaf_hash",
    "path",
)
MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


def export_row(
    leaf_index: int, entry: bytes, tree_size: int, hash_: bytes, path: Sequence[bytes]
) -> dict[str, Any]:
    """The exported row of one event (``path`` as a list of hex strings)."""
    event = json.loads(entry)
    row: dict[str, Any] = {"leaf_index": leaf_index, "occurred_at": event["occurred_at"]}
    for name in INDEXED:
        value = event.get(name)
        row[name] = None if value is None else str(value)
    row.update(
        entry=entry.decode("utf-8"),
        tree_size=tree_size,
        leaf_hash=hash_.hex(),
        path=[step.hex() for step in path],
    )
    return row


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(
            f"format: {fmt[:20]!r} is not an export format; give {', '.join(FORMATS)}",
            details={"field": "format"},
        )
    return fmt


# --- writers -------------------------------------------------------------------------------


def jsonl_chunks(
    note: str, header: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]
) -> Iterator[bytes]:
    """A JSONL export: a header line holding the checkpoint note, then one row a line."""
    first = {"format": EXPORT_FORMAT, **header, "checkpoint": note}
    yield json.dumps(first, ensure_ascii=False).encode() + b"\n"
    for row in rows:
        yield json.dumps(row, ensure_ascii=False).encode() + b"\n"


def csv_chunks(rows: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """A CSV export (``path`` as hex hashes separated by spaces); the note goes beside it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [" ".join(row["path"]) if name == "path" else row[name] for name in COLUMNS]
        )
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def parquet_bytes(note: str, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A Parquet export (one file; the note in its metadata)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            pa.field("leaf_index", pa.int64(), nullable=False),
            pa.field("occurred_at", pa.string(), nullable=False),
            *(pa.field(name, pa.string()) for name in INDEXED),
            pa.field("entry", pa.string(), nullable=False),
            pa.field("tree_size", pa.int64(), nullable=False),
            pa.field("leaf_hash", pa.string(), nullable=False),
            pa.field("path", pa.list_(pa.string()), nullable=False),
        ],
        metadata={NOTE_KEY: note.encode()},
    )
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, schema) as writer:
        batch: list[Mapping[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 10_000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return sink.getvalue()


def write_export(
    out: Path, fmt: str, note: str, header: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]
) -> list[Path]:
    """Write an export to ``out`` (and the CSV's ``.checkpoint`` file); the files written."""
    if fmt == "parquet":
        out.write_bytes(parquet_bytes(note, rows))
        return [out]
    with out.open("wb") as handle:
        for chunk in jsonl_chunks(note, header, rows) if fmt == "jsonl" else csv_chunks(rows):
            handle.write(chunk)
    if fmt == "csv":
        sidecar = out.with_name(out.name + ".checkpoint")
        sidecar.write_text(note, encoding="utf-8")
        return [out, sidecar]
    return [out]


# --- reading back and verifying ------------------------------------------------------------


def read_export(path: Path, fmt: str) -> tuple[str, list[dict[str, Any]]]:
    """The checkpoint note and the rows of an export file."""
    if fmt == "jsonl":
        lines = path.read_bytes().splitlines()
        if not lines:
            raise ProofError(f"{path}: empty: an export starts with its checkpoint line")
        header = json.loads(lines[0])
        return str(header["checkpoint"]), [json.loads(line) for line in lines[1:] if line]
    if fmt == "csv":
        note = path.with_name(path.name + ".checkpoint").read_text(encoding="utf-8")
        with path.open(newline="", encoding="utf-8") as handle:
            rows: list[dict[str, Any]] = []
            for raw in csv.DictReader(handle):
                row: dict[str, Any] = {k: (v if v != "" else None) for k, v in raw.items()}
                row["leaf_index"] = int(raw["leaf_index"])
                row["tree_size"] = int(raw["tree_size"])
                row["path"] = raw["path"].split() if raw["path"] else []
                rows.append(row)
        return note, rows
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    metadata = table.schema.metadata or {}
    if NOTE_KEY not in metadata:
        raise ProofError(f"{path}: no checkpoint in the Parquet metadata ({NOTE_KEY.decode()})")
    return metadata[NOTE_KEY].decode(), list(table.to_pylist())


@dataclass(frozen=True)
class ExportCheck:
    """What :func:`verify_rows` established: ``rows`` events included in the signed tree."""

    origin: str
    tree_size: int
    rows: int


def verify_rows(note: str, rows: Iterable[Mapping[str, Any]], vkey: str) -> ExportCheck:
    """Check an export offline against the log's public key ``vkey`` (see the module).

    Raises :class:`ProofError` (or another :class:`LedgerError`) naming the first bad row.
    """
    verifier = Ed25519Verifier.from_vkey(vkey)
    signed = open_checkpoint(note, verifier).checkpoint
    count = 0
    for number, row in enumerate(rows, start=1):
        try:
            _verify_row(row, signed.size, signed.root_hash)
        except (LedgerError, KeyError, TypeError, ValueError) as exc:
            raise ProofError(f"row {number} (leaf {row.get('leaf_index')}): {exc}") from exc
        count += 1
    return ExportCheck(signed.origin, signed.size, count)


def _verify_row(row: Mapping[str, Any], size: int, root: bytes) -> None:
    entry = str(row["entry"]).encode("utf-8")
    computed = leaf_hash(entry)
    if computed.hex() != row["leaf_hash"]:
        raise ProofError(f"the entry hashes to {computed.hex()}, not the leaf hash given")
    if int(row["tree_size"]) != size:
        raise ProofError(f"proved against tree size {row['tree_size']}, the checkpoint's is {size}")
    path = [bytes.fromhex(step) for step in row["path"]]
    verify_inclusion(int(row["leaf_index"]), size, computed, path, root)
    event = json.loads(entry)
    for name in ("occurred_at", *INDEXED):
        value = event.get(name)
        expected = None if value is None else str(value)
        if row.get(name) != expected:
            raise ProofError(f"column {name} says {row.get(name)!r}, the entry says {expected!r}")


def verify_export_file(path: Path, fmt: str, vkey: str) -> ExportCheck:
    """Read an export file and :func:`verify_rows` it."""
    note, rows = read_export(path, check_format(fmt))
    return verify_rows(note, rows, vkey)
