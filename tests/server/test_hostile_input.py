"""Hostile input is a client error (4xx, in the one error shape), never a 500 or 503, on SQLite
and on PostgreSQL: integers past 64 and 32 bits, negative numbers, NaN and Infinity, NUL and other
control characters, lone surrogates, strings longer than their column, bad multipart parts."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.plugins.manager import builtin_plugin_manager
from readiness.server.app import create_app
from readiness.storage.engine import Stores
from readiness.testing import junit_xml
from tests.server.conftest import database_contents

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

GOOD = junit_xml({"tests/test_a.py::test_x": "passed"})
XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}
FIX = {
    "test_id": "tests/test_a.py::test_x",
    "flake_rate": 0.1,
    "alpha": 0.05,
    "required_runs": 59,
    "runs": 59,
    "failures": 0,
    "verdict": "fixed",
}


@dataclass
class Api:
    client: TestClient
    admin: dict[str, str]

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {**kwargs.pop("headers", {}), **self.admin}
        response = self.client.request(method, path, headers=headers, **kwargs)
        return response.status_code, response.json()

    def runs(self) -> list[Any]:
        status, body = self.call("GET", "/api/v1/tests/runs")
        assert status == 200, body
        return list(body)


@pytest.fixture
def api(stores: Stores, backend_settings: Settings, clock: FrozenClock) -> Iterator[Api]:
    """The real app on the parametrised database, with an admin token."""
    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="root", role="admin"
    )[0]
    app = create_app(
        backend_settings,
        stores=stores,
        clock=clock,
        pm=builtin_plugin_manager(),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, {"Authorization": f"Bearer {token}"})


def invalid(message: str, field: str, location: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "invalid_input",
            "message": message,
            "details": {"field": field, "location": location, "errors": 1},
        }
    }


def json_with(body: dict[str, Any], **raw: str) -> bytes:
    """``body`` as JSON text with ``raw`` values written as given (``NaN``, ``Infinity``: what
    Python's json module reads and writes, though JSON itself has no such numbers)."""
    fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in body.items() if k not in raw]
    fields += [f"{json.dumps(k)}: {v}" for k, v in raw.items()]
    return ("{" + ", ".join(fields) + "}").encode()


def multipart(parts: list[tuple[str, tuple[str | None, bytes]]]) -> tuple[bytes, str]:
    """A multipart/form-data body written byte for byte (clients escape what a hostile one
    would send raw, such as a NUL in a filename); a part without a filename is a form field."""
    boundary = "readiness-boundary"
    out = b""
    for name, (filename, data) in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


TOO_BIG_64 = 2**64
TOO_BIG_32 = 2**31

# (method, path, request kwargs, status, message, field, location)
CASES: list[tuple[str, str, dict[str, Any], str, str, str]] = [
    (
        "POST",
        f"/api/v1/tests/runs?attempt={TOO_BIG_64}",
        {"content": GOOD, "headers": XML},
        "query parameter 'attempt': Input should be less than or equal to 2147483647 "
        f"(got '{TOO_BIG_64}')",
        "attempt",
        "query",
    ),
    (
        "POST",
        f"/api/v1/tests/runs?attempt={TOO_BIG_32}",
        {"content": GOOD, "headers": XML},
        "query parameter 'attempt': Input should be less than or equal to 2147483647 "
        f"(got '{TOO_BIG_32}')",
        "attempt",
        "query",
    ),
    (
        "POST",
        "/api/v1/tests/runs?attempt=-1",
        {"content": GOOD, "headers": XML},
        "query parameter 'attempt': Input should be greater than or equal to 1 (got '-1')",
        "attempt",
        "query",
    ),
    (
        "POST",
        "/api/v1/tests/runs?commit=abc%00def",
        {"content": GOOD, "headers": XML},
        "query parameter 'commit': a control character ('\\x00') at position 3 is not allowed "
        "(got 'abc\\x00def')",
        "commit",
        "query",
    ),
    (
        "POST",
        "/api/v1/tests/runs?branch=" + "b" * 256,
        {"content": GOOD, "headers": XML},
        "query parameter 'branch': String should have at most 255 characters (got 256)",
        "branch",
        "query",
    ),
    (
        "POST",
        "/api/v1/tests/runs?tag=os:linux%1b[31m",
        {"content": GOOD, "headers": XML},
        "query parameter 'tag.0': a control character ('\\x1b') at position 8 is not allowed "
        "(got 'os:linux\\x1b[31m')",
        "tag.0",
        "query",
    ),
    (
        "POST",
        "/api/v1/tests/runs?" + "&".join(f"tag=k{i}:v" for i in range(51)),
        {"content": GOOD, "headers": XML},
        "query parameter 'tag': List should have at most 50 items (got 51)",
        "tag",
        "query",
    ),
    (
        "POST",
        "/api/v1/tests/fix-verifications",
        {"json": {**FIX, "experiments": {f"order-{i}": "passed" for i in range(101)}}},
        "body field 'experiments': Object should have at most 100 items (got 101)",
        "experiments",
        "body",
    ),
    (
        "POST",
        "/api/v1/tests/runs?timestamp=0001-01-01T00:00:00%2B14:00",
        {"content": GOOD, "headers": XML},
        "query parameter 'timestamp': a date from 1970 to 8999 is expected (got year 1) "
        "(got '0001-01-01T00:00:00+14:00')",
        "timestamp",
        "query",
    ),
    (
        "POST",
        "/api/v1/tests/quarantine",
        {"json": {"test_id": "t", "reason": "r", "expires": "9999-12-31T23:59:59-14:00"}},
        "body field 'expires': a date from 1970 to 8999 is expected (got year 9999) "
        "(got '9999-12-31T23:59:59-14:00')",
        "expires",
        "body",
    ),
    (
        "GET",
        "/api/v1/tests/health?test_id=tests/test_a.py::test_%00x",
        {},
        "query parameter 'test_id': a control character ('\\x00') at position 22 is not "
        "allowed (got 'tests/test_a.py::test_\\x00x')",
        "test_id",
        "query",
    ),
    (
        "GET",
        "/api/v1/tests/tests/tests/test_a.py::test_%00x/history",
        {},
        "path parameter 'test_id': a control character ('\\x00') at position 22 is not "
        "allowed (got 'tests/test_a.py::test_\\x00x')",
        "test_id",
        "path",
    ),
    (
        "GET",
        "/api/v1/tests/gate/latest-run?commit=%00",
        {},
        "query parameter 'commit': a control character ('\\x00') at position 0 is not allowed "
        "(got '\\x00')",
        "commit",
        "query",
    ),
    (
        "GET",
        "/api/v1/audit/events?action=token.%00",
        {},
        "query parameter 'action': a control character ('\\x00') at position 6 is not allowed "
        "(got 'token.\\x00')",
        "action",
        "query",
    ),
    (
        "POST",
        "/api/v1/tokens",
        {"json": {"name": "ci", "role": "writer", "expires_days": TOO_BIG_64}},
        "body field 'expires_days': Input should be less than or equal to 36500 "
        f"(got '{TOO_BIG_64}')",
        "expires_days",
        "body",
    ),
    (
        "POST",
        "/api/v1/tokens",
        {"json": {"name": "ci\x00", "role": "writer"}},
        "body field 'name': a control character ('\\x00') at position 2 is not allowed "
        "(got 'ci\\x00')",
        "name",
        "body",
    ),
    (
        "POST",
        "/api/v1/tokens",
        {"json": {"name": "ci", "role": "root"}},
        "body field 'role': Input should be 'reader', 'writer', 'admin' or 'auditor' (got 'root')",
        "role",
        "body",
    ),
    (
        "DELETE",
        f"/api/v1/tokens/{TOO_BIG_64}",
        {},
        "path parameter 'token_id': Input should be less than or equal to 2147483647 "
        f"(got '{TOO_BIG_64}')",
        "token_id",
        "path",
    ),
    (
        "DELETE",
        f"/api/v1/tokens/{TOO_BIG_32}",
        {},
        "path parameter 'token_id': Input should be less than or equal to 2147483647 "
        f"(got '{TOO_BIG_32}')",
        "token_id",
        "path",
    ),
    (
        "POST",
        "/api/v1/tests/fix-verifications",
        {"content": json_with(FIX, flake_rate="NaN"), "headers": JSON},
        "body field 'flake_rate': Input should be a finite number (got 'nan')",
        "flake_rate",
        "body",
    ),
    (
        "POST",
        "/api/v1/tests/fix-verifications",
        {"content": json_with(FIX, alpha="Infinity"), "headers": JSON},
        "body field 'alpha': Input should be a finite number (got 'inf')",
        "alpha",
        "body",
    ),
    (
        "POST",
        "/api/v1/tests/fix-verifications",
        {"content": json_with(FIX, runs="-Infinity"), "headers": JSON},
        "body field 'runs': Input should be a valid integer (got '-inf')",
        "runs",
        "body",
    ),
    (
        "POST",
        "/api/v1/tests/fix-verifications",
        {"json": {**FIX, "required_runs": TOO_BIG_32}},
        "body field 'required_runs': Input should be less than or equal to 2147483647 "
        f"(got '{TOO_BIG_32}')",
        "required_runs",
        "body",
    ),
    (
        "POST",
        "/api/v1/tests/fix-verifications",
        {"json": {**FIX, "runs": True}},
        "body field 'runs': Input should be a valid integer (got 'True')",
        "runs",
        "body",
    ),
    (
        "POST",
        "/api/v1/tests/quarantine",
        {"json": {"test_id": "tests/test_a.py::test_x", "reason": "r", "owner": "o" * 201}},
        "body field 'owner': String should have at most 200 characters (got 201)",
        "owner",
        "body",
    ),
    (
        "POST",
        "/api/v1/tests/quarantine",
        {
            "content": b'{"test_id": "tests/test_a.py::test_\\ud800", "reason": "r"}',
            "headers": JSON,
        },
        "body field 'test_id': a lone surrogate ('\\ud800') at position 22 is not allowed "
        "(got 'tests/test_a.py::test_\\ud800')",
        "test_id",
        "body",
    ),
]


def test_a_hostile_value_is_422_naming_the_field(
    api: Api, stores: Stores, subtests: pytest.Subtests
) -> None:
    """Each of CASES is a subtest, on one app per database (an app costs about a second).

    A refused value changes nothing: checked after each call, so every case meets the database
    the first one met (a token's recorded last use aside), as on an app of its own.
    """
    before = database_contents(stores)
    for method, path, kwargs, message, field, location in CASES:
        with subtests.test(msg=f"{method} {field}: {message[:40]}"):
            assert api.call(method, path, **kwargs) == (422, invalid(message, field, location))
            assert database_contents(stores) == before, "the refused call changed the database"


def test_the_largest_attempt_an_integer_column_holds_is_stored(api: Api) -> None:
    status, _ = api.call("POST", "/api/v1/tests/runs?attempt=2147483647", content=GOOD, headers=XML)

    assert status == 200
    assert [r["attempt"] for r in api.runs()] == [2147483647]


def test_a_nul_in_a_test_id_inside_an_uploaded_report_is_400_and_stores_nothing(
    api: Api,
) -> None:
    # XML 1.0 cannot carry NUL, even as a character reference: the report is not well-formed.
    report = junit_xml({"tests/test_a.py::test_nul": "passed"}).replace(b"test_nul", b"test_&#0;")

    status, body = api.call(
        "POST", "/api/v1/tests/runs?source=nul.xml", content=report, headers=XML
    )

    assert (status, body) == (
        400,
        {
            "error": {
                "code": "junit_invalid",
                "message": "JUnit XML nul.xml line 2: reference to invalid character number; "
                "nothing from this file was ingested",
                "details": {
                    "source": "nul.xml",
                    "line": 2,
                    "problem": "reference to invalid character number",
                },
            }
        },
    )
    assert api.runs() == []


def test_more_executions_of_one_test_than_a_result_attempt_holds_is_400(api: Api) -> None:
    # pytest --count / go test -count gone wild: th_results.attempt is a SMALLINT.
    report = junit_xml({"tests/test_a.py::test_x": ["passed"] * 32_769})

    status, body = api.call(
        "POST", "/api/v1/tests/runs?source=many.xml", content=report, headers=XML
    )

    assert (status, body["error"]["message"]) == (
        400,
        "JUnit XML many.xml: test 'tests/test_a.py::test_x' runs more than 32768 times in one "
        "report; at most that many executions of one test are stored per run, so split the "
        "report; nothing from this file was ingested",
    )
    assert api.runs() == []


def test_a_nul_in_a_project_name_is_400_with_the_naming_rule(api: Api) -> None:
    rule = "use 1-64 characters from a-z, 0-9, '-', '_' and '.', starting with a letter or digit"

    created = api.call("POST", "/api/v1/projects", json={"name": "shop\x00"})
    selected = api.call("GET", "/api/v1/tests/flaky?project=shop%00")

    assert created == (
        400,
        {
            "error": {
                "code": "invalid_input",
                "message": f"project name 'shop\\x00' is not valid: {rule} (e.g. 'shop')",
                "details": {"field": "project", "got": "shop\x00"},
            }
        },
    )
    assert selected[0] == 400
    assert selected[1]["error"]["message"] == f"project 'shop\\x00' cannot name a project: {rule}"


@pytest.mark.parametrize(
    ("parts", "problem"),
    [
        (
            [("file", ("a.xml", GOOD)), ("file", ("b\x00.xml", GOOD))],
            "part 2 ('file') has a filename with a control character ('\\x00') at position 1 "
            "is not allowed",
        ),
        (
            [("file", ("a.xml", GOOD)), ("file", ("x" * 1001, GOOD))],
            "part 2 ('file') has a filename of 1001 characters (at most 1000)",
        ),
        (
            [("file", ("a.xml", GOOD)), ("commit", (None, b"abc123"))],
            "part 2 ('commit') is not understood: reports go in parts named 'file', CI metadata "
            "in the query",
        ),
        (
            [("file", (None, GOOD)), ("file", ("b.xml", GOOD))],
            "part 1 ('file') is a form field, not a file: send the report as a file (with a "
            "filename)",
        ),
    ],
    ids=["nul-in-filename", "long-filename", "unknown-part", "field-not-file"],
)
def test_a_multipart_upload_with_one_bad_part_stores_nothing_and_names_the_part(
    api: Api, parts: list[tuple[str, tuple[str | None, bytes]]], problem: str
) -> None:
    body, ctype = multipart(parts)

    status, body = api.call(
        "POST", "/api/v1/tests/runs", content=body, headers={"Content-Type": ctype}
    )

    assert (status, body["error"]["code"], body["error"]["message"]) == (
        400,
        "invalid_input",
        f"1 of 2 multipart parts cannot be stored, so nothing was ingested: {problem}",
    )
    assert api.runs() == []


def test_more_files_than_one_upload_takes_is_400_and_stores_nothing(api: Api) -> None:
    parts = [("file", (f"{i}.xml", GOOD)) for i in range(101)]

    status, body = api.call("POST", "/api/v1/tests/runs", files=parts)

    assert (status, body["error"]["message"]) == (
        400,
        "multipart upload cannot be read: Too many files. Maximum number of files is 100; "
        "send each report as a part named file (at most 100), e.g. curl -F file=@report.xml",
    )
    assert api.runs() == []


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        (
            "/tests/quarantine",
            {"test_id": "tests/test_a.py::test_\x00", "reason": "flaky"},
            "body field &#39;test_id&#39;: a control character (&#39;\\x00&#39;) at position 22 "
            "is not allowed",
        ),
        (
            "/tests/quarantine",
            {"test_id": "tests/test_a.py::test_x", "reason": "flaky", "expires": "9" * 64 + "d"},
            "body field &#39;expires&#39;: String should have at most 40 characters",
        ),
        (
            "/tests/t/tests/test_a.py::test_x/issue",
            {"issue": "x" * 1001},
            "body field &#39;issue&#39;: String should have at most 1000 characters",
        ),
    ],
    ids=["nul-in-test-id", "expires-too-long", "issue-too-long"],
)
def test_a_hostile_dashboard_form_is_422_with_the_message_on_the_page(
    api: Api, path: str, data: dict[str, str], message: str
) -> None:
    response = api.client.post(path, data=data, headers=api.admin)

    assert response.status_code == 422
    assert message in response.text


def test_a_report_timestamp_no_database_window_holds_falls_back_and_reads_keep_working(
    api: Api,
) -> None:
    # Year 1 stored on PostgreSQL made every later read fail ("timestamp too small").
    report = junit_xml({"tests/test_a.py::test_x": "failed"}).replace(
        b'<testsuite name="pytest"', b'<testsuite name="pytest" timestamp="0001-01-01T00:00:00"'
    )

    status, _ = api.call("POST", "/api/v1/tests/runs?run_id=old", content=report, headers=XML)

    assert status == 200
    assert [r["started_at"] for r in api.runs()] == ["2026-03-10T09:30:00+00:00"]  # the clock
    assert api.call("GET", "/api/v1/tests/flaky")[0] == 200
    assert api.call("GET", "/api/v1/tests/suite-health")[0] == 200
