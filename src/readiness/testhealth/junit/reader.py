"""Streaming reader of JUnit XML reports (pytest, jest-junit, Maven Surefire, go-junit-report).

The entry points: :func:`parse_report` (a :class:`~.report.ParsedReport` to iterate),
:func:`iter_cases` and :func:`detect_format`. The exact reader is in :mod:`.report`, the row
format in :mod:`.rows`, the fast path in :mod:`.regions` (read loop), :mod:`.fast` (regions to
rows) and :mod:`.markup`, the bound on field sizes in :mod:`.bounds`, attempt numbers in
:mod:`.attempts`, test identity in :mod:`.ids`.
"""

from __future__ import annotations

from collections.abc import Iterator

from readiness.testhealth.junit.bounds import DEFAULT_MAX_FIELD_BYTES
from readiness.testhealth.junit.regions import fast_rows
from readiness.testhealth.junit.report import BinaryReader, ParsedReport
from readiness.testhealth.junit.rows import Row
from readiness.testhealth.model import CaseResult

__all__ = ["BinaryReader", "ParsedReport", "Row", "detect_format", "iter_cases", "parse_report"]


def parse_report(
    stream: BinaryReader,
    source: str,
    *,
    fast: bool = True,
    max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES,
) -> ParsedReport:
    """A report read lazily from ``stream``; ``source`` names it in errors.

    ``fast`` (the default) lets :mod:`readiness.testhealth.junit.fast` read it; ``fast=False``
    drives every element through expat callbacks. Both give the same results and errors.
    ``max_field_bytes`` bounds any single text (longer ones are cut, with a marker) and tag
    (longer ones make the report invalid); see :mod:`readiness.testhealth.junit.bounds`.
    """
    return ParsedReport(
        stream,
        source,
        fast_rows=fast_rows if fast else None,
        max_field_bytes=max_field_bytes,
    )


def iter_cases(stream: BinaryReader, source: str) -> Iterator[CaseResult]:
    """Every execution of every testcase in the report, in file order."""
    return iter(parse_report(stream, source))


def detect_format(stream: BinaryReader, source: str = "<stream>") -> str:
    """The producer of the report in ``stream`` (one of ``FORMATS``); reads up to the first case."""
    report = parse_report(stream, source)
    for _case in report:
        break
    assert report.format is not None  # set before the first case is yielded
    return report.format
