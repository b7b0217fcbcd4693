"""Quarantine as code: the reviewed ``.readiness/quarantine.toml`` file.

Quarantined tests still run; their failures never fail the build. The file is parsed and
rendered by pure functions (:func:`parse_quarantine_toml`, :func:`render_quarantine_toml`);
only :func:`load_quarantine_file` and :func:`write_quarantine_file` touch the disk.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import tomli_w

from readiness._common.words import kind_of, shown
from readiness.errors import InputError, NotFoundError
from readiness.testhealth.model import QuarantineEntry

HEADER = (
    "# Quarantined tests: they still run, their failures never fail the build. "
    "Reviewed like code.\n"
)
_FIELDS = ("test", "owner", "reason", "issue", "created", "expires", "created_by")


def _fail(source: str, index: int | None, field: str | None, problem: str) -> InputError:
    where = source
    if index is not None:
        where += f" entry {index}"
    if field is not None:
        where += f" field '{field}'"
    return InputError(
        f"quarantine file {where}: {problem}",
        details={"source": source, "entry": index, "field": field},
    )


def _as_utc(value: object, source: str, index: int, field: str) -> datetime:
    """TOML local dates become midnight UTC; naive datetimes are read as UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    raise _fail(
        source,
        index,
        field,
        f"expected a TOML date like 2026-03-31 (got {shown(value)}, {kind_of(value)})",
    )


def _optional_str(raw: dict[str, Any], key: str, source: str, index: int) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(source, index, key, f"expected a string (got {shown(value)}, {kind_of(value)})")
    return value


def _entry(raw: object, source: str, index: int) -> QuarantineEntry:
    if not isinstance(raw, dict):
        raise _fail(source, index, None, "expected a [[quarantine]] table")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise _fail(
            source, index, unknown[0], f"unknown field; allowed fields are {', '.join(_FIELDS)}"
        )
    for key in ("test", "reason"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            got = "nothing" if value is None else repr(value)
            raise _fail(source, index, key, f"a non-empty string is required (got {got})")
    for key in ("created", "expires"):
        if key not in raw:
            raise _fail(source, index, key, "a date is required, e.g. 2026-03-31")
    created = _as_utc(raw["created"], source, index, "created")
    expires = _as_utc(raw["expires"], source, index, "expires")
    if expires <= created:
        raise _fail(
            source,
            index,
            "expires",
            f"expiry {expires.date().isoformat()} is not after creation "
            f"{created.date().isoformat()}; set a later expiry",
        )
    created_by = _optional_str(raw, "created_by", source, index)
    return QuarantineEntry(
        test_id=raw["test"].strip(),
        owner=_optional_str(raw, "owner", source, index),
        reason=raw["reason"],
        issue=_optional_str(raw, "issue", source, index),
        created=created,
        expires=expires,
        created_by=created_by if created_by is not None else "unknown",
        source="file",
    )


def parse_quarantine_toml(text: str, source: str) -> list[QuarantineEntry]:
    """Parse the quarantine file's text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, None, None, f"not valid TOML ({exc}); fix the syntax") from exc
    extra = sorted(set(data) - {"quarantine"})
    if extra:
        raise _fail(source, None, extra[0], "unknown top-level key; use [[quarantine]] tables")
    raw_entries = data.get("quarantine", [])
    if not isinstance(raw_entries, list):
        raise _fail(source, None, "quarantine", "expected [[quarantine]] tables")
    entries: list[QuarantineEntry] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_entries):
        entry = _entry(raw, source, index)
        if entry.test_id in seen:
            raise _fail(
                source,
                index,
                "test",
                f"duplicate test {entry.test_id!r} (also entry {seen[entry.test_id]}); "
                "keep one entry per test",
            )
        seen[entry.test_id] = index
        entries.append(entry)
    return entries


def _value(value: str | datetime) -> str:
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        if utc.time() == time(0):
            return utc.date().isoformat()
        return utc.isoformat().replace("+00:00", "Z")
    return tomli_w.dumps({"v": value})[len("v = ") :].rstrip("\n")


def render_quarantine_toml(entries: Iterable[QuarantineEntry]) -> str:
    """Render entries sorted by test id, so that diffs stay small and reviews easy."""
    parts = [HEADER]
    for entry in sorted(entries, key=lambda e: e.test_id):
        fields: list[tuple[str, str | datetime | None]] = [
            ("test", entry.test_id),
            ("owner", entry.owner),
            ("reason", entry.reason),
            ("issue", entry.issue),
            ("created", entry.created),
            ("expires", entry.expires),
            ("created_by", entry.created_by),
        ]
        lines = ["", "[[quarantine]]"]
        lines += [f"{key} = {_value(value)}" for key, value in fields if value is not None]
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def load_quarantine_file(path: Path) -> list[QuarantineEntry]:
    """Read the quarantine file; a missing file means nothing is quarantined."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"quarantine file {path}: cannot be read ({exc}); check it") from exc
    return parse_quarantine_toml(text, str(path))


def write_quarantine_file(path: Path, entries: Iterable[QuarantineEntry]) -> None:
    """Write atomically (temp file in the same directory, then an atomic rename)."""
    text = render_quarantine_toml(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).replace(path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def add_entry(entries: Sequence[QuarantineEntry], entry: QuarantineEntry) -> list[QuarantineEntry]:
    """A new list with ``entry`` added; an entry for the same test is replaced in place."""
    out = list(entries)
    for i, existing in enumerate(out):
        if existing.test_id == entry.test_id:
            out[i] = entry
            return out
    out.append(entry)
    return out


def remove_entry(entries: Sequence[QuarantineEntry], test_id: str) -> list[QuarantineEntry]:
    """A new list without ``test_id``; raises :class:`NotFoundError` when it is not quarantined."""
    out = [e for e in entries if e.test_id != test_id]
    if len(out) == len(entries):
        raise NotFoundError(
            f"test {test_id!r} is not quarantined; see `readiness tests quarantine list`",
            details={"test_id": test_id},
        )
    return out
