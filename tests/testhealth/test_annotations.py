"""A test's owner and issue on the server (``th_test_annotations``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.errors import ConflictError, InputError
from readiness.storage.engine import Stores
from readiness.testhealth.annotations import clean_issue, clean_owner, issue_href
from readiness.testhealth.model import RunMeta, TestAnnotation
from readiness.testhealth.quarantine.file import write_quarantine_file
from readiness.testhealth.service import TestHealthService
from readiness.testing import captured_audit_events, junit_xml

PAY = "tests/test_pay.py::test_webhook"
OTHER = "tests/test_pay.py::test_refund"


@pytest.fixture
def service(backend_settings: Settings, stores: Stores, clock: FrozenClock) -> TestHealthService:
    service = TestHealthService(
        settings=backend_settings, stores=stores, clock=clock, actor="ana", quarantine_backend="db"
    )
    service.ingest_bytes(
        junit_xml({PAY: "failed", OTHER: "passed"}),
        source="run.xml",
        meta=RunMeta(commit="c1", branch="main", run_id="1", timestamp=clock.now()),
    )
    return service


def test_a_test_without_annotation_has_none(service: TestHealthService) -> None:
    assert service.annotation(PAY) is None


def test_owner_and_issue_are_kept_together_and_the_last_change_is_named(
    service: TestHealthService, clock: FrozenClock
) -> None:
    service.set_owner(PAY, "@payments")
    clock.advance(timedelta(hours=1))

    service.link_issue(PAY, "https://tracker.example/PAY-9")

    assert service.annotation(PAY) == TestAnnotation(
        PAY, "@payments", "https://tracker.example/PAY-9", "ana", clock.now()
    )
    assert service.annotation(OTHER) is None


def test_changing_the_owner_replaces_it_and_audits_the_previous_one(
    service: TestHealthService, stores: Stores
) -> None:
    service.set_owner(PAY, "@shop")

    service.set_owner(PAY, "@payments")

    events = captured_audit_events(stores, action_prefix="tests.owner")
    assert [(e.actor_id, e.target, e.details) for e in events] == [
        ("ana", f"test:{PAY}", {"project": "project", "owner": "@shop", "previous": None}),
        (
            "ana",
            f"test:{PAY}",
            {"project": "project", "owner": "@payments", "previous": "@shop"},
        ),
    ]
    assert service.annotation(PAY) is not None
    assert service.annotation(PAY).owner == "@payments"  # type: ignore[union-attr]


def test_a_quarantine_without_an_owner_takes_the_tests_owner(service: TestHealthService) -> None:
    service.set_owner(PAY, "@payments")

    entry = service.quarantine_add(PAY, reason="flaky")

    assert entry.owner == "@payments"


def test_the_server_refuses_to_change_an_entry_of_the_reviewed_file(
    service: TestHealthService, backend_settings: Settings, clock: FrozenClock
) -> None:
    from readiness.testhealth.model import QuarantineEntry

    path = backend_settings.path(backend_settings.testhealth.quarantine_file)
    entry = QuarantineEntry(PAY, None, "flaky", None, clock.now(), clock.now() + timedelta(days=9))
    write_quarantine_file(path, [entry])

    with pytest.raises(ConflictError) as refused:
        service.quarantine_remove(PAY, reason="fixed")

    assert refused.value.message == (
        f"test '{PAY}' is quarantined in the reviewed file .readiness/quarantine.toml, which the "
        f"server does not change; in the repository run `readiness tests quarantine remove "
        f"'{PAY}' --reason WHY` and merge the change"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://tracker.example/PAY-9", "https://tracker.example/PAY-9"),
        ("http://tracker.example/x?y=1#z", "http://tracker.example/x?y=1#z"),
        ("  PAY-9 ", "PAY-9"),
        ("#42", "#42"),
        ("shop/api#42", "shop/api#42"),
    ],
)
def test_issues_are_http_links_or_keys(value: str, expected: str) -> None:
    assert clean_issue(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<b>",
        "file:///etc/passwd",
        "https://",
        "//evil.example/x",
        "PAY 9",
        "a\nb",
        "",
        "x" * 1001,
    ],
)
def test_anything_else_is_refused_as_an_issue(value: str) -> None:
    with pytest.raises(InputError):
        clean_issue(value)


@pytest.mark.parametrize(
    ("value", "href"),
    [
        ("https://t.example/1", "https://t.example/1"),
        ("PAY-1", None),
        ("javascript:alert(1)", None),
        (None, None),
    ],
)
def test_only_http_links_become_links(value: str | None, href: str | None) -> None:
    assert issue_href(value) == href


@pytest.mark.parametrize("value", ["", "   ", "a\tb", "x" * 201])
def test_an_owner_is_one_short_line(value: str) -> None:
    with pytest.raises(InputError):
        clean_owner(value)
