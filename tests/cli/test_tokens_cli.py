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
    assert role_line.split()[2:4] == ["--role", "ROLE"]
    assert "What the token may do: reader, writer, admin, auditor." in role_line


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


def _created(cli: Run, project_dir: Path, *args: str) -> tuple[int, dict[str, object], str]:
    code, out, err = cli(project_dir, "tokens", "create", "--role", "writer", *args, "-f", "json")
    token_id = json.loads(out)["id"] if code == 0 else None
    listed = json.loads(cli(project_dir, "tokens", "list", "-f", "json")[1]) if code == 0 else []
    return code, next((t for t in listed if t["id"] == token_id), {}), err


def test_expires_takes_a_number_of_days(cli: Run, project_dir: Path) -> None:
    code, token, err = _created(cli, project_dir, "--expires", "90d")

    assert (code, err) == (0, "")
    assert token["expires_at"] == "2027-02-28T09:00:00+00:00"


def test_expires_takes_a_date(cli: Run, project_dir: Path) -> None:
    code, token, err = _created(cli, project_dir, "--expires", "2027-01-31")

    assert (code, err) == (0, "")
    assert token["expires_at"] == "2027-01-31T00:00:00+00:00"


def test_an_expiry_in_the_past_is_refused(cli: Run, project_dir: Path) -> None:
    code, _, err = _created(cli, project_dir, "--expires", "2026-01-31")

    assert code == 2
    assert err == (
        "error: token expiry 2026-01-31 00:00 UTC is not within the next 36500 days; give a "
        "later --expires, or omit it for no expiry\n"
    )


def test_the_old_expires_days_still_works_and_warns(cli: Run, project_dir: Path) -> None:
    code, token, err = _created(cli, project_dir, "--expires-days", "90")

    assert (code, err) == (
        0,
        "warning: --expires-days is deprecated and will be removed; use --expires 90d "
        "(or a date)\n",
    )
    assert token["expires_at"] == "2027-02-28T09:00:00+00:00"


def test_the_old_and_the_new_spelling_together_are_refused(cli: Run, project_dir: Path) -> None:
    code, _, err = _created(cli, project_dir, "--expires-days", "90", "--expires", "30d")

    assert (code, err) == (
        2,
        "error: --expires-days and --expires both given; give only --expires\n",
    )


def test_the_help_shows_expires_and_hides_the_old_spelling(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")

    code, out, _ = cli(None, "tokens", "create", "--help")

    [line] = [line for line in out.splitlines() if "--expires" in line]
    assert code == 0
    assert line.split()[1:3] == ["--expires", "WHEN"]
    assert "--expires-days" not in out


def test_revoke_quotes_the_name_plainly(cli: Run, project_dir: Path) -> None:
    cli(project_dir, "tokens", "create", "--role", "reader", "--name", "Bob's laptop")

    code, out, _ = cli(project_dir, "tokens", "revoke", "1")

    assert (code, out) == (0, "token 1 ('Bob's laptop') revoked\n")
