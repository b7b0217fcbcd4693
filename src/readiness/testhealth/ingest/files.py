"""Report files on disk, opened together: an unreadable one stops the ingest before it starts.

Shared by the local ingest and the upload to a server, so both name every bad file the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from readiness.errors import InputError, JUnitParseError
from readiness.testhealth.ingest.pipeline import check_report, invalid_reports
from readiness.testhealth.junit.reader import BinaryReader


def open_reports(stack: ExitStack, paths: Sequence[Path]) -> list[tuple[BinaryReader, str]]:
    """``(stream, source)`` for every path, closed with ``stack``.

    When a file cannot be read, the others are read (never stored) only to find their parse
    errors, and one error names every bad file.
    """
    items: list[tuple[BinaryReader, str]] = []
    unreadable: dict[int, JUnitParseError] = {}
    for n, path in enumerate(paths):
        try:
            items.append((stack.enter_context(path.open("rb")), str(path)))
        except OSError as exc:
            if len(paths) == 1:
                raise InputError(
                    f"JUnit XML {path}: cannot be read ({exc.strerror}); check the path"
                ) from exc
            unreadable[n] = JUnitParseError(str(path), None, f"cannot be read ({exc.strerror})")
    if not unreadable:
        return items
    checked = iter([check_report(stream, source) for stream, source in items])
    in_order = [unreadable.get(n) or next(checked) for n in range(len(paths))]
    raise invalid_reports([p for p in in_order if p is not None], len(paths))
