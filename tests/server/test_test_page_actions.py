"""The test page's actions, as a signed-in browser posts them: quarantine, release, owner, issue.

Each action shows its exact result message and records one audit event with exact fields; a
reader sees none of them. The server fixture ingested one run (commit abc123 on main) in which
``test_pay`` failed; its clock stands at 2026-03-10 09:30 UTC.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from readiness.testhealth.model import QuarantineEntry
from readiness.testhealth.quarantine.file import write_quarantine_file
from readiness.testing import captured_audit_events
from tests.server.conftest import database_contents

PAY = "tests/test_orders.py::test_pay"
PAGE = f"/tests/t/{quote(PAY)}"
WRITER = "writer-bot#2"  # tokens are created reader, writer, admin, auditor
WRITER_ID = "token:2"  # the writer's pseudonymous id in audit events


def sign_in(server: Any, role: str) -> str:
    """Sign in as ``role``; the CSRF token of the session."""
    assert server.sign_in(server.tokens[role]).status_code == 303
    match = re.search(r'name="csrf_token" value="([^"]+)"', server.client.get(PAGE).text)
    assert match is not None
    return match.group(1)


def act(server: Any, csrf: str, action: str, **fields: str) -> Any:
    """Post a confirmed test-page action as htmx does."""
    return server.client.post(
        f"{PAGE}/{action}",
        data={**fields, "csrf_token": csrf, "confirmed": "yes"},
        headers={"HX-Request": "true"},
    )


def status_message(text: str) -> str | None:
    found = re.search(r'<p class="(?:notice|alert)" role="(?:status|alert)">([^<]*)</p>', text)
    return found.group(1) if found else None


def forms(text: str) -> list[str]:
    return re.findall(r'<form class="action[^"]*" id="action-([a-z-]+)"', text)


def test_a_reader_sees_the_test_page_without_any_action(server: Any) -> None:
    sign_in(server, "reader")

    page = server.client.get(PAGE).text

    assert forms(page) == []
    assert "Not quarantined: its failures block merges." in page


def test_a_writer_sees_quarantine_owner_and_issue_actions(server: Any) -> None:
    sign_in(server, "writer")

    assert forms(server.client.get(PAGE).text) == ["quarantine", "owner", "issue"]


def test_quarantine_from_the_test_page_shows_the_entry_and_is_audited(server: Any) -> None:
    csrf = sign_in(server, "writer")

    response = act(
        server, csrf, "quarantine", reason="stub times out", owner="@payments",
        issue="https://tracker.example/PAY-9", expires="14d",
    )  # fmt: skip

    assert response.status_code == 200
    assert status_message(response.text) == f"Quarantined {PAY} until 2026-03-24."
    assert forms(response.text) == ["release", "owner", "issue"]
    assert "<dt>Reason</dt><dd>stub times out</dd>" in response.text
    assert (
        '<dt>Issue</dt><dd><a href="https://tracker.example/PAY-9" rel="noopener noreferrer">'
        in response.text
    )
    [event] = captured_audit_events(server.stores, action_prefix="tests.quarantine")
    assert (event.actor_id, event.action, event.target) == (
        WRITER_ID,
        "tests.quarantine.add",
        f"test:{PAY}",
    )
    assert event.details == {
        "project": "project",
        "reason": "stub times out",
        "owner": "@payments",
        "issue": "https://tracker.example/PAY-9",
        "expires": "2026-03-24T09:30:00+00:00",
        "backend": "db",
    }


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("", f"Quarantined {PAY} until 2026-04-09."),
        ("2026-05-01", f"Quarantined {PAY} until 2026-05-01."),
        (
            "soon",
            "expires soon: expected a date such as 2026-04-30 or a number of days such as 90d",
        ),
        (
            "2026-01-01",
            "quarantine expiry 2026-01-01 is not in the future; give a later --expires date",
        ),
    ],
)
def test_the_expiry_is_a_date_or_a_number_of_days(server: Any, expires: str, message: str) -> None:
    csrf = sign_in(server, "writer")

    response = act(server, csrf, "quarantine", reason="flaky", expires=expires)

    assert status_message(response.text) == message


def test_release_from_the_test_page_is_audited_with_its_reason(server: Any) -> None:
    csrf = sign_in(server, "writer")
    act(server, csrf, "quarantine", reason="flaky")

    response = act(server, csrf, "release", reason="fixed in #12")

    assert status_message(response.text) == f"Released {PAY} from quarantine."
    assert forms(response.text) == ["quarantine", "owner", "issue"]
    event = captured_audit_events(server.stores, action_prefix="tests.quarantine")[-1]
    assert (event.actor_id, event.action, event.target) == (
        WRITER_ID,
        "tests.quarantine.remove",
        f"test:{PAY}",
    )
    assert event.details == {"project": "project", "reason": "fixed in #12", "backend": "db"}


def test_set_owner_shows_it_and_records_the_previous_owner(server: Any) -> None:
    csrf = sign_in(server, "writer")
    act(server, csrf, "owner", owner="@shop")

    response = act(server, csrf, "owner", owner="@payments")

    assert status_message(response.text) == f"Owner of {PAY} set to @payments."
    assert "<dt>Owner</dt><dd>@payments</dd>" in response.text
    assert f"<dt>Changed</dt><dd>2026-03-10 09:30 by {WRITER}</dd>" in response.text
    events = captured_audit_events(server.stores, action_prefix="tests.owner")
    first = {"project": "project", "owner": "@shop", "previous": None}
    second = {"project": "project", "owner": "@payments", "previous": "@shop"}
    assert [(e.actor_id, e.action, e.target, e.details) for e in events] == [
        (WRITER_ID, "tests.owner.set", f"test:{PAY}", first),
        (WRITER_ID, "tests.owner.set", f"test:{PAY}", second),
    ]


def test_a_new_quarantine_takes_the_tests_owner(server: Any) -> None:
    csrf = sign_in(server, "writer")
    act(server, csrf, "owner", owner="@payments")

    response = act(server, csrf, "quarantine", reason="flaky")

    assert "<dt>Owner</dt><dd>@payments</dd>" in response.text.split("owner-heading")[0]


def test_link_issue_renders_an_http_link_and_a_key_as_text(server: Any) -> None:
    csrf = sign_in(server, "writer")

    linked = act(server, csrf, "issue", issue="https://tracker.example/PAY-9")
    keyed = act(server, csrf, "issue", issue="PAY-9")

    assert status_message(linked.text) == f"Linked https://tracker.example/PAY-9 to {PAY}."
    assert '<a href="https://tracker.example/PAY-9" rel="noopener noreferrer">' in linked.text
    assert status_message(keyed.text) == f"Linked PAY-9 to {PAY}."
    assert "<dt>Issue</dt><dd>PAY-9</dd>" in keyed.text
    [first, _] = captured_audit_events(server.stores, action_prefix="tests.issue")
    assert (first.actor_id, first.action, first.target, first.details) == (
        WRITER_ID,
        "tests.issue.linked",
        f"test:{PAY}",
        {"project": "project", "issue": "https://tracker.example/PAY-9", "previous": None},
    )


def test_a_script_or_hostless_link_is_refused_and_nothing_is_recorded(
    server: Any, subtests: pytest.Subtests
) -> None:
    # One server and sign-in for every link (a server costs about a second): each refusal
    # changes nothing (checked), so each meets the database the first one met.
    csrf = sign_in(server, "writer")
    before = database_contents(server.stores)
    for issue in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "http://"]:
        with subtests.test(msg=issue):
            response = act(server, csrf, "issue", issue=issue)

            assert status_message(response.text) == (
                f"issue {issue!r}: only http and https links are accepted; give a URL such as "
                "https://tracker.example/PAY-123 or a key such as PAY-123"
            ).replace("'", "&#39;")
            assert 'href="javascript' not in response.text.lower()
            assert captured_audit_events(server.stores, action_prefix="tests.issue") == []
            assert database_contents(server.stores) == before


def test_an_entry_of_the_reviewed_file_cannot_be_released_from_the_dashboard(
    server: Any, settings: Any
) -> None:
    entry = QuarantineEntry(
        PAY, "@payments", "flaky", None, server.clock.now(), server.clock.now().replace(month=5)
    )
    write_quarantine_file(settings.path(settings.testhealth.quarantine_file), [entry])
    csrf = sign_in(server, "writer")

    page = server.client.get(PAGE).text
    response = act(server, csrf, "release", reason="fixed")

    assert forms(page) == ["owner", "issue"]
    assert "Held in the reviewed file <code>.readiness/quarantine.toml</code>" in page
    assert status_message(response.text) == (
        f"test &#39;{PAY}&#39; is quarantined in the reviewed file .readiness/quarantine.toml, "
        "which the server does not change; in the repository run `readiness tests quarantine "
        f"remove &#39;{PAY}&#39; --reason WHY` and merge the change"
    )


def test_history_runs_oldest_first_each_a_labelled_link_to_its_run(server: Any) -> None:
    sign_in(server, "reader")

    page = server.client.get(PAGE).text

    run = re.search(r'<a class="run" role="listitem" href="([^"]+)" aria-label="([^"]+)"', page)
    assert run is not None
    assert run.group(1).startswith("/tests/runs/")
    assert run.group(2) == "run 2026-03-10 09:30 main abc123: failed"
    assert '<div class="strip" role="list" aria-label="Runs, oldest first">' in page
    assert "<span>oldest · 2026-03-10 09:30</span><span>newest · 2026-03-10 09:30</span>" in page
    assert server.client.get(run.group(1)).status_code == 200


def test_a_test_seen_in_its_first_runs_carries_the_new_test_marker(server: Any) -> None:
    sign_in(server, "reader")

    page = server.client.get(PAGE).text

    assert '<span class="badge new-test" title="First seen 2026-03-10">new test</span>' in page
