"""Archive files: one Parquet file per month part, Hive-partitioned, written durably.

``<archive_dir>/year=YYYY/month=MM/part-<first leaf>-<last leaf>.parquet`` holds, per archived
leaf, the event's indexed fields (as the query index had them), ``occurred_us`` (microseconds
since the epoch, UTC), the ledger entry exactly as stored and its leaf hash. A file is written
to a temporary name, fsynced, renamed into place and its directory fsynced: after
:func:`write_part` returns, the file survives a crash, and its bytes are what the manifest's
SHA-256 names.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readiness.audit.query.core import INDEXED
from readiness.audit.retention.core import Month, Ranges, part_name

if TYPE_CHECKING:
    from readiness.config import Settings

META_KEY = b"readiness.archive"
FORMAT = "readiness.audit.archive/v1"


@dataclass(frozen=True)
class ArchivedRow:
    """One leaf as an archive file holds it."""

    leaf_index: int
    occurred_us: int
    fields: dict[str, str | None]
    entry: bytes
    leaf_hash: bytes


def archive_root(settings: Settings) -> Path:
    """The configured archive directory (``audit.retention.archive_dir``), absolute: what the
    manifest's relative paths are under."""
    return settings.path(settings.audit.retention.archive_dir).resolve()


def month_dir(root: Path, month: Month) -> Path:
    return root / f"year={month[0]:04d}" / f"month={month[1]:02d}"


def _schema(log: str, month: Month, ranges: Ranges) -> Any:
    import pyarrow as pa

    meta = {"format": FORMAT, "log": log, "month": list(month), "ranges": ranges}
    return pa.schema(
        [
            pa.field("log", pa.string(), nullable=False),
            pa.field("leaf_index", pa.int64(), nullable=False),
            pa.field("occurred_us", pa.int64(), nullable=False),
            *(pa.field(name, pa.string()) for name in INDEXED),
            pa.field("entry", pa.binary(), nullable=False),
            pa.field("leaf_hash", pa.binary(), nullable=False),
        ],
        metadata={META_KEY: json.dumps(meta).encode()},
    )


def encode_part(log: str, month: Month, ranges: Ranges, rows: Sequence[ArchivedRow]) -> bytes:
    """The Parquet bytes of one part (deterministic for the same rows)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema(log, month, ranges)
    columns: dict[str, list[Any]] = {
        "log": [log] * len(rows),
        "leaf_index": [row.leaf_index for row in rows],
        "occurred_us": [row.occurred_us for row in rows],
        **{name: [row.fields.get(name) for row in rows] for name in INDEXED},
        "entry": [row.entry for row in rows],
        "leaf_hash": [row.leaf_hash for row in rows],
    }
    sink = io.BytesIO()
    pq.write_table(pa.table(columns, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def write_part(root: Path, month: Month, ranges: Ranges, data: bytes) -> Path:
    """Write ``data`` durably as the part of ``month`` holding ``ranges``; its path."""
    folder = month_dir(root, month)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / part_name(ranges)
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    _fsync_dir(folder)
    return path


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_part(path: Path) -> list[tuple[int, bytes, bytes]]:
    """``(leaf_index, entry, leaf_hash)`` of every row of a part, in file order."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["leaf_index", "entry", "leaf_hash"])
    data = table.to_pydict()
    return [
        (int(index), bytes(entry), bytes(value))
        for index, entry, value in zip(
            data["leaf_index"], data["entry"], data["leaf_hash"], strict=True
        )
    ]
