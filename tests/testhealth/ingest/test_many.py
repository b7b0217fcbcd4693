"""Several reports in one ingest: every one is stored, or none, and every bad file is named."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.errors import InputError, JUnitParseError, JUnitReportsError
from readiness.storage.engine import Stores
from readiness.testhealth.model import RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testhealth.store import tables
from tests.testhealth.ingest._reports import TRUNCATED, node_ids, pytest_report

GOOD_A = pytest_report(node_ids("test_orders", 0, 3), failing={"tests/test_orders.py::test_case_1"})
GOOD_B = pytest_report(node_ids("test_users", 0, 2))
MISMATCHED = b'<testsuite name="pytest"><testcase classname="t" name="a"></testsuite>'


@pytest.fixture
def service(backend_settings: Settings, stores: Stores, clock: FrozenClock) -> TestHealthService:
    return TestHealthService(settings=backend_settings, stores=stores, clock=clock, actor="ci")


def _counts(stores: Stores) -> tuple[int, int, int]:
    with stores.state.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (tables.runs, tables.tests, tables.results)
        )


def _write(tmp_path: Path, **files: bytes) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = tmp_path / f"{name}.xml"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_every_valid_report_of_one_call_is_stored_as_its_own_run(
    service: TestHealthService, stores: Stores
) -> None:
    results = service.ingest_many(
        [(io.BytesIO(GOOD_A), "a.xml"), (io.BytesIO(GOOD_B), "b.xml")], meta=RunMeta(run_id="1")
    )

    assert [(r.source, r.tests, r.results, r.failed, r.duplicate) for r in results] == [
        ("a.xml", 3, 3, 1, False),
        ("b.xml", 2, 2, 0, False),
    ]
    assert _counts(stores) == (2, 5, 5)


def test_one_malformed_report_among_several_stores_nothing_and_is_named(
    service: TestHealthService, stores: Stores
) -> None:
    items = [(io.BytesIO(GOOD_A), "a.xml"), (io.BytesIO(TRUNCATED), "b.xml")]

    with pytest.raises(JUnitReportsError) as caught:
        service.ingest_many([*items, (io.BytesIO(GOOD_B), "c.xml")], meta=RunMeta(run_id="1"))

    assert str(caught.value) == (
        "1 of 3 JUnit XML files is invalid, so none of the 3 was ingested: b.xml line 2: "
        "no element found. Fix or leave out the invalid files and run the ingest again"
    )
    assert _counts(stores) == (0, 0, 0)


def test_every_malformed_report_is_named_even_after_the_first_one(
    service: TestHealthService, stores: Stores
) -> None:
    items = [
        (io.BytesIO(MISMATCHED), "a.xml"),
        (io.BytesIO(GOOD_A), "b.xml"),
        (io.BytesIO(TRUNCATED), "c.xml"),
    ]

    with pytest.raises(JUnitReportsError) as caught:
        service.ingest_many(items, meta=RunMeta())

    assert caught.value.details == {
        "files": [
            {"source": "a.xml", "line": 1, "problem": "mismatched tag"},
            {"source": "c.xml", "line": 2, "problem": "no element found"},
        ],
        "total": 3,
    }
    assert _counts(stores) == (0, 0, 0)


def test_a_single_malformed_report_keeps_its_own_one_file_error(
    service: TestHealthService, stores: Stores
) -> None:
    with pytest.raises(JUnitParseError) as caught:
        service.ingest_many([(io.BytesIO(TRUNCATED), "b.xml")], meta=RunMeta())

    assert str(caught.value) == (
        "JUnit XML b.xml line 2: no element found; nothing from this file was ingested"
    )


def test_unreadable_and_malformed_files_are_named_together_and_nothing_is_stored(
    service: TestHealthService, stores: Stores, tmp_path: Path
) -> None:
    good, bad = _write(tmp_path, good=GOOD_A, bad=MISMATCHED)
    missing = tmp_path / "missing.xml"

    with pytest.raises(JUnitReportsError) as caught:
        service.ingest_files([good, missing, bad], meta=RunMeta())

    assert str(caught.value) == (
        f"2 of 3 JUnit XML files are invalid, so none of the 3 was ingested: {missing}: cannot "
        f"be read (No such file or directory); {bad} line 1: mismatched tag. Fix or leave out "
        "the invalid files and run the ingest again"
    )
    assert _counts(stores) == (0, 0, 0)


def test_a_single_unreadable_file_keeps_its_one_line_error(
    service: TestHealthService, tmp_path: Path
) -> None:
    with pytest.raises(InputError) as caught:
        service.ingest_files([tmp_path / "missing.xml"], meta=RunMeta())

    assert str(caught.value) == (
        f"JUnit XML {tmp_path / 'missing.xml'}: cannot be read (No such file or directory); "
        "check the path"
    )


def test_the_same_report_twice_in_one_call_is_stored_once(
    service: TestHealthService, stores: Stores
) -> None:
    results = service.ingest_many(
        [(io.BytesIO(GOOD_A), "a.xml"), (io.BytesIO(GOOD_A), "copy.xml")], meta=RunMeta()
    )

    assert [(r.source, r.results, r.duplicate) for r in results] == [
        ("a.xml", 3, False),
        ("copy.xml", 3, True),
    ]
    assert results[0].run_key == results[1].run_key
    assert _counts(stores) == (1, 3, 3)


def test_a_report_already_stored_is_a_duplicate_next_to_a_new_one(
    service: TestHealthService, stores: Stores
) -> None:
    service.ingest_many([(io.BytesIO(GOOD_A), "a.xml")], meta=RunMeta())

    results = service.ingest_many(
        [(io.BytesIO(GOOD_A), "a.xml"), (io.BytesIO(GOOD_B), "b.xml")], meta=RunMeta()
    )

    assert [(r.source, r.results, r.duplicate) for r in results] == [
        ("a.xml", 3, True),
        ("b.xml", 2, False),
    ]
    assert _counts(stores) == (2, 5, 5)


def test_reports_of_one_call_share_new_tests_and_keep_the_earliest_first_seen(
    service: TestHealthService, stores: Stores
) -> None:
    shared = node_ids("test_orders", 0, 2)
    early = pytest_report(shared, timestamp="2026-03-09T08:00:00.000000+00:00")
    late = pytest_report([*shared, "tests/test_orders.py::test_late"])

    service.ingest_many(
        [(io.BytesIO(late), "late.xml"), (io.BytesIO(early), "early.xml")], meta=RunMeta()
    )

    with stores.state.connect() as conn:
        seen = conn.execute(
            sa.select(tables.tests.c.test_key, tables.tests.c.first_seen).order_by(
                tables.tests.c.test_key
            )
        ).all()
    assert [(key, at.day) for key, at in seen] == [
        ("tests/test_orders.py::test_case_0", 9),
        ("tests/test_orders.py::test_case_1", 9),
        ("tests/test_orders.py::test_late", 10),
    ]


@pytest.mark.parametrize("attempt", [0, 2**31, 2**64])
def test_an_attempt_no_integer_column_holds_is_an_input_error_before_anything_is_stored(
    service: TestHealthService, stores: Stores, attempt: int
) -> None:
    # A CI environment can hold any number (GITHUB_RUN_ATTEMPT); th_runs.attempt is an INTEGER.
    with pytest.raises(InputError) as caught:
        service.ingest_bytes(GOOD_A, source="a.xml", meta=RunMeta(attempt=attempt))

    assert str(caught.value) == (
        f"attempt must be from 1 to 2147483647 (got {attempt}); give the CI attempt with "
        "--attempt, or leave it to the CI environment"
    )
    assert _counts(stores) == (0, 0, 0)


def test_a_run_timestamp_no_database_window_holds_is_an_input_error(
    service: TestHealthService, stores: Stores
) -> None:
    meta = RunMeta(timestamp=datetime(1, 1, 1, tzinfo=UTC))

    with pytest.raises(InputError) as caught:
        service.ingest_bytes(GOOD_A, source="a.xml", meta=meta)

    assert str(caught.value) == (
        "run timestamp: a date from 1970 to 8999 is expected (got year 1); give the time the "
        "run started"
    )
    assert _counts(stores) == (0, 0, 0)


def test_a_quarantine_expiry_no_database_holds_is_an_input_error(
    service: TestHealthService,
) -> None:
    with pytest.raises(InputError) as caught:
        service.quarantine_add(
            "tests/test_a.py::test_x",
            reason="flaky",
            expires=datetime(9999, 12, 31, tzinfo=UTC),
            allow_unknown=True,
        )

    assert str(caught.value) == (
        "quarantine expiry: a date from 1970 to 8999 is expected (got year 9999); give a later "
        "--expires date"
    )
