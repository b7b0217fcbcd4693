"""Ingesting JUnit XML into the testhealth tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from readiness.errors import JUnitParseError
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import upgrade
from readiness.storage.projects import ensure_project
from readiness.testhealth.ingest.pipeline import compute_run_key, ingest_stream
from readiness.testhealth.model import IngestResult, RunMeta
from readiness.testhealth.store import evidence as queries
from readiness.testhealth.store import tables

DATA = Path(__file__).parents[1] / "junit" / "data" / "junit"
REPORTS = [
    "go_junit_report.xml",
    "jest_junit.xml",
    "pytest_rerunfailures.xml",
    "pytest_xunit1.xml",
    "surefire.xml",
]
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def _ingest(
    engine: Engine,
    data: bytes,
    *,
    meta: RunMeta | None = None,
    source: str = "report.xml",
    ratio: float = 0.5,
    min_tests: int = 10,
    now: datetime = NOW,
) -> IngestResult:
    ensure_project(engine, "shop", at=now, by="test")  # the service does this on first write
    return ingest_stream(
        engine,
        io.BytesIO(data),
        source=source,
        meta=meta or RunMeta(run_id="101", job="unit"),
        project="shop",
        now=now,
        infra_failure_ratio=ratio,
        infra_min_tests=min_tests,
    )


def _rows(engine: Engine, table: sa.Table, *order: str) -> list[Any]:
    with engine.connect() as conn:
        query = sa.select(table).order_by(*(table.c[o] for o in order or ("id",)))
        return list(conn.execute(query).mappings())


def _seen(engine: Engine) -> dict[str, tuple[str | None, datetime | None, datetime | None]]:
    """(first_commit, first_seen, last_seen) per test key: th_tests and the evidence query."""
    first = {
        r["test_key"]: (r["first_commit"], _aware(r["first_seen"]))
        for r in _rows(engine, tables.tests)
    }
    last = {
        e.test_key: e.last_seen
        for e in queries.load_evidence(
            engine, project="shop", default_branch="main", window_runs=10
        )
    }
    return {key: (*f, last.get(key)) for key, f in first.items()}


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (tables.runs, tables.tests, tables.results)
        )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _pytest_report(cases: int, *, failing: int = 0, tail: str = "") -> bytes:
    lines = ['<testsuites name="pytest tests"><testsuite name="pytest">']
    for i in range(cases):
        body = '<failure message="assert 1 == 2"/>' if i < failing else ""
        lines.append(
            f'<testcase classname="tests.test_bulk" name="test_{i}" time="0.5">{body}</testcase>'
        )
    lines.append("</testsuite></testsuites>")
    return ("\n".join(lines) + tail).encode()


def test_surefire_report_fills_runs_tests_and_results(stores: Stores) -> None:
    data = (DATA / "surefire.xml").read_bytes()
    result = _ingest(stores.state, data)
    run_key = compute_run_key(
        "shop", RunMeta(run_id="101", job="unit"), hashlib.sha256(data).hexdigest()
    )
    assert result == IngestResult(
        source="report.xml",
        run_key=run_key,
        format="surefire",
        tests=4,
        results=8,
        failed=1,
        duplicate=False,
        infra_failure=False,
    )
    (run,) = _rows(stores.state, tables.runs)
    assert {k: run[k] for k in ("total", "failed", "skipped", "reruns", "seed", "format")} == {
        "total": 4,
        "failed": 1,
        "skipped": 1,
        "reruns": 4,
        "seed": "98765",
        "format": "surefire",
    }
    assert (run["ci_run_id"], run["job"], run["attempt"], run["source_digest"]) == (
        "101",
        "unit",
        1,
        hashlib.sha256(data).hexdigest(),
    )
    assert run["duration_s"] == pytest.approx(0.051 + 0.12 + 0.3 + 0.01)
    assert (_aware(run["started_at"]), run["infra_failure"]) == (NOW, False)


def test_results_keep_attempts_and_messages_only_for_failures(stores: Stores) -> None:
    _ingest(stores.state, (DATA / "surefire.xml").read_bytes())
    tests = {t["id"]: t["test_key"] for t in _rows(stores.state, tables.tests)}
    results = [
        (
            tests[r["test_id"]].split("#")[1],
            r["attempt"],
            r["outcome"],
            r["failure_kind"],
            r["message"],
        )
        for r in _rows(stores.state, tables.results)
    ]
    assert results == [
        ("createsOrder", 0, 0, None, None),
        ("cancelsOrder", 0, 1, "assertion", "expected: <CANCELLED> but was: <OPEN>"),
        ("cancelsOrder", 1, 2, "timeout", "java.net.SocketTimeoutException: Read timed out"),
        ("cancelsOrder", 2, 0, None, None),
        ("paysOrder", 0, 1, "connection", "Connection refused"),
        ("paysOrder", 1, 1, "connection", "Connection refused"),
        ("paysOrder", 2, 1, "connection", "Connection refused"),
        ("shipsOrder()", 0, 3, None, None),
    ]
    fingerprints = [r["fingerprint"] for r in _rows(stores.state, tables.results)]
    assert fingerprints[4] == fingerprints[5] == fingerprints[6]
    assert [fingerprints[i] is None for i in (0, 3, 7)] == [True, True, True]
    assert len(fingerprints[1] or "") == 16


def test_reingesting_the_same_file_is_a_duplicate_that_writes_nothing(stores: Stores) -> None:
    data = (DATA / "pytest_rerunfailures.xml").read_bytes()
    first = _ingest(stores.state, data)
    counts = _counts(stores.state)
    again = _ingest(stores.state, data, now=NOW + timedelta(hours=1))
    assert again == IngestResult(
        source="report.xml",
        run_key=first.run_key,
        format="pytest",
        tests=5,
        results=11,
        failed=2,
        duplicate=True,
        infra_failure=False,
    )
    assert _counts(stores.state) == counts == (1, 5, 11)


def test_a_ci_retry_of_the_same_file_is_a_new_run_of_the_same_tests(stores: Stores) -> None:
    data = (DATA / "jest_junit.xml").read_bytes()
    _ingest(stores.state, data)
    retry = _ingest(stores.state, data, meta=RunMeta(run_id="101", job="unit", attempt=2))
    assert (retry.duplicate, _counts(stores.state)) == (False, (2, 4, 8))


def test_tests_keep_first_seen_and_widen_last_seen(stores: Stores) -> None:
    data = (DATA / "go_junit_report.xml").read_bytes()
    later = datetime(2026, 3, 12, tzinfo=UTC)
    _ingest(stores.state, data, meta=RunMeta(run_id="1", commit="aaa"))
    _ingest(stores.state, data, meta=RunMeta(run_id="2", commit="bbb", timestamp=later))
    assert set(_seen(stores.state).values()) == {
        ("aaa", datetime(2026, 3, 10, 9, 5, tzinfo=UTC), later)
    }
    rows = _rows(stores.state, tables.tests, "test_key")
    assert [r["test_key"] for r in rows] == [
        "github.com/acme/shop/cart::TestAdd",
        "github.com/acme/shop/cart::TestAdd/negative_quantity",
        "github.com/acme/shop/cart::TestSync",
        "github.com/acme/shop/cart::TestTotal",
    ]


def test_run_metadata_is_stored_and_meta_seed_wins_over_the_report(stores: Stores) -> None:
    meta = RunMeta(
        commit="c0ffee",
        branch="main",
        run_id="9",
        attempt=3,
        job="py311",
        timestamp=datetime(2026, 3, 9, 23, 0, tzinfo=UTC),
        tree="7ree",
        seed="42",
        tags={"os": "linux", "python": "3.11"},
    )
    _ingest(stores.state, (DATA / "pytest_xunit1.xml").read_bytes(), meta=meta)
    (run,) = _rows(stores.state, tables.runs)
    assert (
        run["commit_sha"],
        run["branch"],
        run["ci_run_id"],
        run["attempt"],
        run["job"],
        run["tree_sha"],
        run["seed"],
        run["tags"],
        _aware(run["started_at"]),
        _aware(run["ingested_at"]),
    ) == (
        "c0ffee",
        "main",
        "9",
        3,
        "py311",
        "7ree",
        "42",
        {"os": "linux", "python": "3.11"},
        datetime(2026, 3, 9, 23, 0, tzinfo=UTC),
        NOW,
    )


def test_report_seed_and_timestamp_are_used_when_meta_has_none(stores: Stores) -> None:
    _ingest(stores.state, (DATA / "pytest_xunit1.xml").read_bytes(), meta=RunMeta())
    (run,) = _rows(stores.state, tables.runs)
    assert (run["seed"], _aware(run["started_at"])) == (
        "1234567",
        datetime(2026, 3, 10, 8, 15, 0, 123456, tzinfo=UTC),
    )


def test_a_file_broken_at_the_end_leaves_nothing_behind(stores: Stores) -> None:
    data = _pytest_report(25_000, tail="\n<oops>")
    with pytest.raises(JUnitParseError) as info:
        _ingest(stores.state, data, source="ci/junit.xml")
    assert (info.value.source, info.value.line, info.value.problem) == (
        "ci/junit.xml",
        25_003,
        "junk after document element",
    )
    assert _counts(stores.state) == (0, 0, 0)


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_xml_bombs_and_external_entities_are_refused_with_one_line(
    stores: Stores, name: str
) -> None:
    with pytest.raises(JUnitParseError) as info:
        _ingest(stores.state, (DATA / name).read_bytes(), source=name)
    assert str(info.value) == (
        f"JUnit XML {name} line 2: DTDs and entity declarations are not allowed "
        "(XML bomb or external entity?); nothing from this file was ingested"
    )
    assert _counts(stores.state) == (0, 0, 0)


@pytest.mark.parametrize(
    ("failing", "min_tests", "expected"),
    [(5, 10, True), (4, 10, False), (9, 11, False)],
)
def test_runs_where_most_tests_fail_are_marked_infra_failures(
    stores: Stores, failing: int, min_tests: int, expected: bool
) -> None:
    result = _ingest(
        stores.state, _pytest_report(10, failing=failing), ratio=0.5, min_tests=min_tests
    )
    (run,) = _rows(stores.state, tables.runs)
    assert (result.failed, result.infra_failure, run["infra_failure"]) == (
        failing,
        expected,
        expected,
    )


def test_batches_larger_than_one_insert_chunk_keep_every_result(stores: Stores) -> None:
    result = _ingest(stores.state, _pytest_report(12_345, failing=3))
    assert (result.tests, result.results, result.failed, _counts(stores.state)) == (
        12_345,
        12_345,
        3,
        (1, 12_345, 12_345),
    )


def test_a_test_met_again_in_a_later_batch_of_a_new_project_keeps_its_one_row(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.testhealth.ingest import pipeline as ingest

    monkeypatch.setattr(ingest, "BATCH", 1)
    body = "".join(
        f'<testcase classname="m" name="{n}" file="m.py"/>\n' for n in ("t1", "t2", "t1", "t3")
    )
    data = f'<testsuite name="pytest">\n{body}</testsuite>'.encode()

    result = _ingest(stores.state, data)

    keys = [r["test_key"] for r in _rows(stores.state, tables.tests, "id")]
    assert (result.tests, result.results, keys) == (3, 4, ["m.py::t1", "m.py::t2", "m.py::t3"])


def test_a_known_project_gains_new_tests_widens_known_ones_and_links_every_result(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.testhealth.ingest import pipeline as ingest

    monkeypatch.setattr(ingest, "BATCH", 2)

    def report(*cases: tuple[str, str]) -> bytes:
        body = "".join(
            f'<testcase classname="m" name="{n}" file="m.py">{b}</testcase>\n' for n, b in cases
        )
        return f'<testsuite name="pytest">\n{body}</testsuite>'.encode()

    early, late = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC)
    _ingest(
        stores.state,
        report(("t1", ""), ("t2", "")),
        meta=RunMeta(run_id="1", commit="bbb", timestamp=late),
    )
    second = report(("t2", "<failure/>"), ("t3", ""), ("t2", ""), ("t4", "<skipped/>"), ("t1", ""))
    result = _ingest(stores.state, second, meta=RunMeta(run_id="2", commit="aaa", timestamp=early))

    tests = _seen(stores.state)
    names = {r["id"]: r["test_key"] for r in _rows(stores.state, tables.tests)}
    run2 = [
        (names[r["test_id"]], r["outcome"])
        for r in _rows(stores.state, tables.results)
        if r["run_id"] == _run_id(stores.state, "2")
    ]
    assert (result.tests, result.results, result.failed) == (4, 5, 0)
    assert tests == {
        "m.py::t1": ("aaa", early, late),
        "m.py::t2": ("aaa", early, late),
        "m.py::t3": ("aaa", early, early),
        "m.py::t4": ("aaa", early, early),
    }
    assert run2 == [
        ("m.py::t2", 1),
        ("m.py::t3", 0),
        ("m.py::t2", 0),
        ("m.py::t4", 3),
        ("m.py::t1", 0),
    ]


def _run_id(engine: Engine, ci_run_id: str) -> int:
    with engine.connect() as conn:
        t = tables.runs
        return int(conn.execute(sa.select(t.c.id).where(t.c.ci_run_id == ci_run_id)).scalar_one())


_CASE_BODIES = ["", '<failure message="boom"/>', '<skipped message="later"/>', "<error/>"]


@st.composite
def _case_sequence(draw: st.DrawFn) -> list[tuple[str, str]]:
    names = draw(st.lists(st.sampled_from(["t1", "t2", "t3", "t4"]), min_size=1, max_size=12))
    return [(name, draw(st.sampled_from(_CASE_BODIES))) for name in names]


def _final_counts_by_sql(engine: Engine) -> tuple[int, int, int]:
    r = tables.results
    ranked = sa.select(
        r.c.outcome,
        sa.func.row_number()
        .over(partition_by=r.c.test_id, order_by=(r.c.attempt.desc(), r.c.id.desc()))
        .label("rn"),
    ).subquery()
    with engine.connect() as conn:
        outcomes = conn.execute(sa.select(ranked.c.outcome).where(ranked.c.rn == 1)).scalars()
        final = list(outcomes)
    return len(final), sum(o in (1, 2) for o in final), final.count(3)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=_case_sequence())
def test_run_totals_count_each_tests_final_attempt_like_a_window_query(
    stores: Stores, cases: list[tuple[str, str]]
) -> None:
    body = "".join(
        f'<testcase classname="m" name="{name}" file="m.py">{child}</testcase>\n'
        for name, child in cases
    )
    data = f'<testsuite name="pytest">\n{body}</testsuite>'.encode()
    with stores.state.begin() as conn:
        for table in (tables.results, tables.runs, tables.tests):
            conn.execute(table.delete())

    result = _ingest(stores.state, data)

    (run,) = _rows(stores.state, tables.runs)
    assert (result.tests, result.failed, run["skipped"]) == _final_counts_by_sql(stores.state)
    assert (run["total"], run["failed"]) == (result.tests, result.failed)


def _full_tally(rows: list[tuple[str, int, int]]) -> tuple[int, int, int]:
    """(tests, failed, skipped) over each test's final row: highest attempt, then latest."""
    final: dict[str, tuple[int, int]] = {}
    for key, outcome, attempt in rows:
        seen = final.get(key)
        if seen is None or attempt >= seen[0]:
            final[key] = (attempt, outcome)
    outcomes = [outcome for _a, outcome in final.values()]
    return len(final), outcomes.count(1) + outcomes.count(2), outcomes.count(3)


@settings(max_examples=300)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from("abc"), st.sampled_from([0, 0, 1, 2, 3]), st.sampled_from([0, 0, 0, 1])
        ),
        max_size=30,
    ),
    cuts=st.lists(st.integers(0, 30), max_size=4),
)
def test_sparse_final_outcomes_streamed_in_batches_equal_the_full_per_test_tally(
    rows: list[tuple[str, int, int]], cuts: list[int]
) -> None:
    from readiness.testhealth.ingest.totals import SparseFinalOutcomes

    sparse = SparseFinalOutcomes()
    bounds = [0, *sorted(c for c in cuts if c < len(rows)), len(rows)]
    for lo, hi in pairwise(bounds):
        keys = [k for k, _o, _a in rows[lo:hi]]
        outcomes = [o for _k, o, _a in rows[lo:hi]]
        attempts = [a for _k, _o, a in rows[lo:hi]]
        special = [i for i, (o, a) in enumerate(zip(outcomes, attempts, strict=True)) if o or a]
        sparse.add(keys, outcomes, attempts, special)

    assert sparse.counts(len({k for k, _o, _a in rows})) == _full_tally(rows)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(times=st.lists(st.floats(0, 1e8, allow_nan=False), min_size=1, max_size=30))
# SQLite's CAST(text AS REAL) reads both 1 ulp off; its JSON reader reads them exactly.
@example(times=[211.025582, 6.072163848665468e-306])
def test_durations_are_stored_exactly_as_read(stores: Stores, times: list[float]) -> None:
    body = "".join(
        f'<testcase classname="m" name="t{i}" file="m.py" time="{t!r}"/>\n'
        for i, t in enumerate(times)
    )
    data = f'<testsuite name="pytest">\n{body}</testsuite>'.encode()
    with stores.state.begin() as conn:
        for table in (tables.results, tables.runs, tables.tests):
            conn.execute(table.delete())

    _ingest(stores.state, data)

    assert [r["duration_s"] for r in _rows(stores.state, tables.results)] == times


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        # PostgreSQL would refuse the NUL first; orjson would refuse the lone surrogate.
        (
            b'<testcase classname="t.a" name="bad\x00name" file="t/a.py" time="0.1"/>',
            "not well-formed (invalid token)",
        ),
        (
            b'<testcase classname="t.a" name="a"><failure message="&#xD800;"/></testcase>',
            "reference to invalid character number",
        ),
    ],
)
def test_a_bad_character_in_a_large_file_is_a_parse_error_not_a_database_error(
    stores: Stores, tmp_path: Path, bad: bytes, problem: str
) -> None:
    # Large files are checked by expat in a second process while rows already reach the
    # database, yet the file's own error must be reported and nothing kept.
    from readiness.testhealth.junit.apart import APART_MIN

    path = tmp_path / "big.xml"
    filler = "".join(
        f'<testcase classname="t.m{i % 40}" name="test_{i}" file="t/m{i % 40}.py" time="0.01"/>\n'
        for i in range((APART_MIN // 70) + 1000)
    )
    path.write_bytes(
        b'<?xml version="1.0"?>\n<testsuite name="pytest">\n'
        + bad
        + b"\n"
        + filler.encode()
        + b"</testsuite>\n"
    )
    assert path.stat().st_size >= APART_MIN

    ensure_project(stores.state, "default", at=datetime(2026, 3, 1, tzinfo=UTC), by="test")
    with path.open("rb") as handle, pytest.raises(JUnitParseError) as caught:
        ingest_stream(
            stores.state,
            handle,
            source=str(path),
            meta=RunMeta(commit="c1"),
            project="default",
            now=datetime(2026, 3, 1, tzinfo=UTC),
            infra_failure_ratio=0.5,
            infra_min_tests=10,
        )

    assert (caught.value.line, caught.value.problem) == (3, problem)
    assert _counts(stores.state) == (0, 0, 0)


def test_sqlite_settings_of_an_ingest_are_restored_whether_it_succeeds_or_fails(
    tmp_path: Path,
) -> None:
    # The ingest skips per-row foreign-key probes (its references are valid by construction) and
    # enlarges the page cache; the pooled connection must come back as it was, whatever happened.
    engine = create_engine_for(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade("state", engine)
    good = (DATA / "pytest_xunit1.xml").read_bytes()
    with engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    _ingest(engine, good)
    with pytest.raises(JUnitParseError):
        _ingest(engine, b"<testsuite><testcase name='a'>", source="bad.xml")
    with engine.connect() as conn:
        enforced = conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(
                tables.results.insert().values(run_id=999, test_id=999, attempt=0, outcome=0)
            )
    engine.dispose()
    assert (enforced, cache) == (1, before)


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(
                    tables.tests.c.test_key,
                    tables.tests.c.first_commit,
                    tables.results.c.attempt,
                    tables.results.c.outcome,
                    tables.results.c.duration_s,
                    tables.results.c.failure_kind,
                    tables.results.c.message,
                    tables.results.c.fingerprint,
                )
                .join_from(tables.results, tables.tests)
                .order_by(tables.results.c.id)
            )
        ]


def test_sqlite_without_json_operators_stores_exactly_what_the_fast_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite before 3.38 (Ubuntu 22.04 ships 3.37) takes the executemany path.
    from readiness.testhealth.ingest import writer as ingest_writer

    stored = []
    for label, floor in (("fast", ingest_writer._JSON_SQLITE), ("old", (99, 0, 0))):
        monkeypatch.setattr(ingest_writer, "_JSON_SQLITE", floor)
        engine = create_engine_for(f"sqlite:///{tmp_path / label}.db")
        upgrade("state", engine)
        for n, name in enumerate(REPORTS):
            _ingest(engine, (DATA / name).read_bytes(), meta=RunMeta(run_id=str(n), commit="c1"))
        _ingest(engine, (DATA / REPORTS[0]).read_bytes(), meta=RunMeta(run_id="again"))
        stored.append(_stored(engine))
        engine.dispose()
    assert len(stored[0]) == 37
    assert stored[0] == stored[1]
