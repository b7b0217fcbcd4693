"""Commands that only read never create a database; the wrong directory is an error, not "none"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.testing import junit_xml
from tests.cli.conftest import Run

READ_COMMANDS = [
    ("tests", "flaky"),
    ("tests", "show", "tests/test_pay.py::test_webhook"),
    ("tests", "report"),
    ("tests", "known"),
    ("tests", "quarantine", "list"),
    ("tests", "verify-fix", "tests/test_pay.py::test_webhook"),
    ("audit", "events"),
    ("audit", "verify"),
    ("audit", "verify-chain"),
    ("db", "current"),
    ("gate", "merge", "--head", "0123abc"),
    ("tokens", "list"),
]


def no_data_error(root: Path) -> str:
    return (
        f"error: no Readiness data here: the database {root / '.readiness' / 'state.db'} does "
        "not exist; ingest a report first (`readiness tests ingest report.xml`), or give your "
        "project's directory with -C DIR\n"
    )


def test_a_project_directory_that_does_not_exist_is_exit_2_not_an_empty_report(
    cli: Run, tmp_path: Path
) -> None:
    missing = tmp_path / "nonexistent"

    code, out, err = cli(missing, "tests", "flaky")

    assert (code, out) == (2, "")
    assert err == (
        f"error: project directory {missing} does not exist; give your project's directory "
        "with -C DIR, or run readiness inside it\n"
    )
    assert not missing.exists()


def test_a_project_directory_that_is_a_file_is_exit_2(cli: Run, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")

    code, _, err = cli(a_file, "tests", "known")

    assert code == 2
    assert err == (
        f"error: project directory {a_file} is not a directory; give your project's directory "
        "with -C DIR, or run readiness inside it\n"
    )


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_reading_command_in_a_directory_without_data_says_to_ingest_and_creates_nothing(
    cli: Run, project_dir: Path, command: tuple[str, ...]
) -> None:
    code, out, err = cli(project_dir, *command)

    assert (code, out, err) == (2, "", no_data_error(project_dir))
    assert list(project_dir.iterdir()) == []


def test_ingest_creates_the_data_directory_and_then_reading_commands_work(
    cli: Run, project_dir: Path
) -> None:
    report = project_dir / "junit.xml"
    report.write_bytes(junit_xml({"tests/test_pay.py::test_webhook": "passed"}))

    ingest_code, _, _ = cli(project_dir, "tests", "ingest", str(report), "--commit", "c1")
    code, out, err = cli(project_dir, "tests", "known")

    assert ingest_code == 0
    assert (code, out, err) == (0, "tests/test_pay.py::test_webhook\n", "")


@pytest.mark.parametrize(
    "command",
    [
        ("tests", "quarantine", "add", "tests/t.py::x", "--reason", "r", "--allow-unknown"),
        ("tokens", "create", "--role", "reader"),
        ("db", "upgrade"),
        ("init",),
    ],
    ids=" ".join,
)
def test_a_writing_command_creates_the_data_directory(
    cli: Run, project_dir: Path, command: tuple[str, ...]
) -> None:
    code, _, err = cli(project_dir, *command)

    assert (code, err) == (0, "")
    assert (project_dir / ".readiness").is_dir()


def test_quarantine_list_in_a_fresh_clone_shows_the_reviewed_file_without_a_database(
    cli: Run, project_dir: Path
) -> None:
    reviewed = project_dir / ".readiness" / "quarantine.toml"
    reviewed.parent.mkdir()
    reviewed.write_text(
        "[[quarantine]]\n"
        'test = "tests/test_pay.py::test_webhook"\n'
        'reason = "races the worker"\n'
        "created = 2026-03-01\n"
        "expires = 2099-03-31\n"
    )

    code, out, err = cli(project_dir, "tests", "quarantine", "list", "-f", "json")

    assert (code, err) == (0, "")
    assert [(e["test_id"], e["reason"]) for e in json.loads(out)] == [
        ("tests/test_pay.py::test_webhook", "races the worker")
    ]
    assert sorted(p.name for p in reviewed.parent.iterdir()) == ["quarantine.toml"]
