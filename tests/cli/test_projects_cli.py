"""``readiness projects``, the global ``--project`` and tokens limited to projects, in-process."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.storage.engine import create_engine_for
from readiness.storage.migrate import upgrade
from readiness.testing import junit_xml
from tests.storage.test_projects_migration import _legacy_history

MISC = "tests/test_misc.py::test_config"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (
        "READINESS_URL",
        "READINESS_TOKEN",
        "READINESS_STATE_URL",
        "READINESS_AUDIT_URL",
        "READINESS_PROJECT",
        "READINESS_ACTOR",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LOGNAME", "ops")


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _report(root: Path, outcome: str = "failed") -> str:
    path = root / f"{outcome}.xml"
    path.write_bytes(junit_xml({MISC: outcome}))
    return str(path)


def test_create_then_list_marks_the_checkouts_project(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    assert run(capsys, project_dir, "projects", "create", "billing")[:2] == (
        0,
        "project 'billing' created\n",
    )
    run(capsys, project_dir, "projects", "create", "project")

    code, out, _ = run(capsys, project_dir, "projects", "list", "--format", "json")

    assert code == 0
    assert [(p["name"], p["current"], p["created_by"]) for p in json.loads(out)] == [
        ("billing", False, "ops"),
        ("project", True, "ops"),
    ]


def test_list_without_projects_says_how_the_first_one_appears(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, out, _ = run(capsys, project_dir, "projects", "list")

    assert (code, out) == (
        0,
        "no projects yet; the first `readiness tests ingest` creates 'project', "
        "or run `readiness projects create project`\n",
    )


def test_an_invalid_name_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, out, err = run(capsys, project_dir, "projects", "create", "My Shop")

    assert (code, out) == (2, "")
    assert err == (
        "error: project name 'My Shop' is not valid: use 1-64 characters from a-z, 0-9, '-', "
        "'_' and '.', starting with a letter or digit (e.g. 'my-shop')\n"
    )


def test_the_first_ingest_creates_the_project_and_rename_carries_its_history(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    run(capsys, project_dir, "tests", "ingest", _report(project_dir), "--run-id", "1")

    code, out, _ = run(capsys, project_dir, "projects", "rename", "project", "shop")

    assert (code, out) == (
        0,
        "project 'project' renamed to 'shop'; its data and token limits moved with it\n",
    )
    code, out, _ = run(
        capsys, project_dir, "--project", "shop", "tests", "flaky", "--all", "--format", "json"
    )
    assert [(t["test_id"], t["runs"]) for t in json.loads(out)] == [(MISC, 1)]


def test_deleting_a_project_with_data_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    run(capsys, project_dir, "tests", "ingest", _report(project_dir), "--run-id", "1")

    code, _, err = run(capsys, project_dir, "projects", "delete", "project")

    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: project 'project' still holds data")


def test_the_project_option_and_the_environment_choose_where_results_go(
    capsys: pytest.CaptureFixture[str], project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, project_dir, "--project", "billing", "tests", "ingest", _report(project_dir))
    monkeypatch.setenv("READINESS_PROJECT", "billing")

    code, out, _ = run(capsys, project_dir, "tests", "flaky", "--all", "--format", "json")

    assert (code, [t["test_id"] for t in json.loads(out)]) == (0, [MISC])


def test_reading_a_project_the_database_does_not_hold_names_the_ones_it_does(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    run(capsys, project_dir, "--project", "billing", "tests", "ingest", _report(project_dir))

    code, out, err = run(capsys, project_dir, "tests", "flaky")

    assert (code, out) == (2, "")
    assert err == (
        "error: project 'project' has no data here: this database holds billing; choose one "
        "with --project NAME (or READINESS_PROJECT, or project in the configuration)\n"
    )


def test_an_invalid_project_option_names_the_option(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, _, err = run(capsys, project_dir, "--project", "Bad Name", "tests", "flaky")

    assert code == 2
    assert err.startswith("error: --project 'Bad Name' is not valid: use 1-64 characters")


def test_tokens_can_be_limited_to_several_projects(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    for name in ("shop", "billing"):
        run(capsys, project_dir, "projects", "create", name)

    code, out, _ = run(
        capsys,
        project_dir,
        "tokens",
        "create",
        "--role",
        "writer",
        "--name",
        "ci",
        "--project",
        "shop",
        "--project",
        "billing",
        "--format",
        "json",
    )

    assert (code, json.loads(out)["projects"]) == (0, ["billing", "shop"])


def test_a_token_for_an_unknown_project_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    run(capsys, project_dir, "projects", "create", "shop")

    code, _, err = run(
        capsys,
        project_dir,
        "tokens",
        "create",
        "--role",
        "reader",
        "--name",
        "x",
        "--project",
        "hr",
    )

    assert (code, err) == (
        2,
        "error: project 'hr' does not exist (known: shop); an admin creates it with "
        "`readiness projects create hr`\n",
    )


def _legacy_checkout(tmp_path: Path) -> Path:
    root = tmp_path / "Shop"
    engine = create_engine_for(f"sqlite:///{root / '.readiness' / 'state.db'}")
    upgrade("state", engine, "0001_state")
    _legacy_history(engine, "default")
    engine.dispose()
    audit = create_engine_for(f"sqlite:///{root / '.readiness' / 'audit.db'}")
    upgrade("audit", audit)  # a checkout from before projects has both databases
    audit.dispose()
    return root


def test_an_existing_checkouts_history_shows_under_the_directorys_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _legacy_checkout(tmp_path)

    with caplog.at_level(logging.WARNING, logger="readiness.storage"):
        code, out, _ = run(
            capsys, root, "tests", "flaky", "--all", "--sort", "name", "--format", "json"
        )

    assert code == 0
    assert [t["test_id"] for t in json.loads(out)] == [
        "tests/test_misc.py::test_0",
        "tests/test_misc.py::test_1",
        "tests/test_misc.py::test_2",
    ]
    assert caplog.messages == [
        "readiness: this database's history moved from project 'default' to 'shop', the "
        "default project name (the directory's name) since projects exist"
    ]


def test_a_configured_name_over_history_in_default_says_how_to_move_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = _legacy_checkout(tmp_path)

    code, _, err = run(capsys, root, "--project", "web", "tests", "flaky")

    assert code == 2
    assert err == (
        "error: project 'web' has no data here: existing data is in project 'default' but this "
        "checkout's project is 'web'; to move it there run `readiness projects rename default "
        "web` (or set project = 'default')\n"
    )


def test_upgrading_a_shared_database_prints_the_rename_that_moves_its_history(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _legacy_checkout(tmp_path)
    url = f"sqlite:///{root / '.readiness' / 'state.db'}"
    monkeypatch.setenv("READINESS_STATE_URL", url)  # configured: a database others may share

    code, _, err = run(capsys, root, "db", "upgrade")

    assert code == 0
    assert err == (
        "hint: existing data is in project 'default' but this checkout's project is 'shop'; to "
        "move it there run `readiness projects rename default shop` (or set project = 'default')\n"
    )
