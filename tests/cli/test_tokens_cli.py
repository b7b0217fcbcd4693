"""`readiness tokens create --role R` as documented: name optional, the four roles as choices."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.auth.core import ROLES
from readiness.cli.tokens import Role, default_token_name
from tests.cli.conftest import Run


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    monkeypatch.setattr("readiness.console.SystemClock", lambda: FrozenClock(at))


def test_create_without_a_name_names_the_token_by_role_and_day(cli: Run, project_dir: Path) -> None:
    first = cli(project_dir, "tokens", "create", "--role", "writer", "-f", "json")
    second = cli(project_dir, "tokens", "create", "--role", "writer", "-f", "json")
    reader = cli(project_dir, "tokens", "create", "--role", "reader", "-f", "json")

    assert [r[0] for r in (first, second, reader)] == [0, 0, 0]
    assert [json.loads(r[1])["name"] for r in (first, second, reader)] == [
        "writer-2026-11-30-1",
        "writer-2026-11-30-2",
        "reader-2026-11-30-1",
    ]


def test_the_text_output_names_the_default_name(cli: Run, project_dir: Path) -> None:
    code, out, _ = cli(project_dir, "tokens", "create", "--role", "auditor")

    token, note = out.splitlines()
    assert code == 0
    assert token.startswith("rdy_")
    assert note == (
        "token 1 (auditor, 'auditor-2026-11-30-1', every project) created; it is shown only this "
        "once"
    )


def test_the_help_offers_the_four_roles_as_choices(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per option

    code, out, _ = cli(None, "tokens", "create", "--help")

    [role_line] = [line for line in out.splitlines() if "--role" in line]
    assert code == 0
    assert "[reader|writer|admin|auditor]" in role_line


def test_the_role_choices_are_the_roles_auth_knows() -> None:
    assert tuple(r.value for r in Role) == ROLES


def test_the_default_name_counts_past_the_highest_of_that_day_and_role() -> None:
    existing = ["writer-2026-11-30-1", "writer-2026-11-30-7", "writer-2026-11-29-9", "ci"]

    assert default_token_name("writer", date(2026, 11, 30), existing) == "writer-2026-11-30-8"


def test_an_expiry_beyond_a_hundred_years_is_a_usage_error(cli: Run, project_dir: Path) -> None:
    code, _, err = cli(
        project_dir,
        "tokens",
        "create",
        "--role",
        "writer",
        "--expires-days",
        "99999999999999999999",
    )

    assert code == 2
    assert err == (
        "error: Invalid value for '--expires-days': Input should be less than or equal to 36500\n"
    )
    assert not (project_dir / ".readiness").exists()
