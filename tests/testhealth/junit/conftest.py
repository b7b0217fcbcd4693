"""Every path of the JUnit reader as one fixture: exact, fast (with and without the C
accelerator) and fast with expat's check in a second process (a real file)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from readiness.testhealth.junit import apart as junit_apart
from readiness.testhealth.junit import fast as junit_fast
from readiness.testhealth.junit.reader import ParsedReport, Row, parse_report

ReadReport = Callable[..., ParsedReport]
PATHS = ["exact", "fast-pure-python", "fast-speedups", "apart"]


@pytest.fixture(params=PATHS)
def open_report(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> ReadReport:
    """``open_report(data, **kwargs)``: a :class:`ParsedReport` of ``data`` on one reader path
    (``kwargs`` go to ``parse_report``)."""
    path = str(request.param)
    if path == "fast-pure-python":
        monkeypatch.setattr(junit_fast, "_speedups", None)
    elif path == "fast-speedups" and junit_fast._speedups is None:
        pytest.skip("the C accelerator (readiness-speedups) is not installed")
    if path == "apart":
        monkeypatch.setattr(junit_apart, "APART_MIN", 0)
    opened: list[io.BufferedReader] = []

    def read(data: bytes, **kwargs: object) -> ParsedReport:
        if path == "apart":
            file = tmp_path / f"report-{len(opened)}.xml"
            file.write_bytes(data)
            handle = file.open("rb")
            opened.append(handle)
            return parse_report(handle, "report.xml", **kwargs)  # type: ignore[arg-type]
        stream = io.BytesIO(data)
        return parse_report(stream, "report.xml", fast=path != "exact", **kwargs)  # type: ignore[arg-type]

    def close() -> None:
        for handle in opened:
            handle.close()

    request.addfinalizer(close)
    return read


@pytest.fixture
def read_rows(open_report: ReadReport) -> Callable[..., list[Row]]:
    """``read_rows(data, **kwargs)``: every row of ``data`` on one reader path."""

    def read(data: bytes, **kwargs: object) -> list[Row]:
        return list(open_report(data, **kwargs).rows())

    return read
