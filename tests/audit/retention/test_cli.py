"""``readiness audit archive|prune|retention`` on a project (frozen clock, both databases)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.audittrail.cli import app
from readiness.console import CliState
from readiness.storage import Stores
from tests.audit.retention.conftest import Project

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(project: Project, stores: Stores, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("READINESS_ACTOR", "ops_1")
    monkeypatch.setenv("READINESS_STATE_URL", stores.state.url.render_as_string(False))
    monkeypatch.setenv("READINESS_AUDIT_URL", stores.audit.url.render_as_string(False))
    root = project.settings.root
    (root / "pyproject.toml").write_text(
        '[tool.readiness.audit.retention]\nframeworks = ["soc2", "hipaa"]\n'
    )
    project.fill()
    runner = CliRunner()

    def invoke(at: datetime, *args: str) -> tuple[int, str, str]:
        obj = CliState(root, clock=FrozenClock(at))
        result = runner.invoke(app, list(args), obj=obj)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_archive_prints_json_and_a_second_run_moves_nothing(run: Run) -> None:
    code, out, _ = run(NOW, "archive", "--older-than", "12mo", "--format", "json")
    found = json.loads(out)
    assert code == 0
    assert [(m["month"], m["entries"]) for m in found["months"]] == [
        ("2025-10", 4),
        ("2025-11", 4),
        ("2025-12", 4),
    ]
    assert (found["cutoff"], found["entries"], found["event_leaf"]) == (
        "2026-01-15T12:00:00.000000Z",
        12,
        24,
    )
    code, out, _ = run(NOW, "archive")
    assert (code, out) == (0, "archived 0 events in 0 months older than 2026-01-15\n")


def test_archive_to_another_directory_as_a_dry_run(run: Run, tmp_path: Path) -> None:
    code, out, _ = run(
        NOW, "archive", "--older-than", "1y", "--archive-dir", str(tmp_path / "a"), "--dry-run"
    )
    assert code == 0
    assert out == (
        "would archive 12 events in 3 months older than 2026-01-15\n"
        "  2025-10         4\n  2025-11         4\n  2025-12         4\n"
    )
    assert not (tmp_path / "a").exists()


def test_prune_before_expiry_is_refused_in_one_line_and_allowed_on_the_day(run: Run) -> None:
    run(NOW, "archive")
    day_before = datetime(2031, 10, 31, 12, tzinfo=UTC)
    code, out, err = run(day_before, "prune", "--before", "2025-11-01")
    assert (code, out) == (1, "")
    assert err == "error: 2025-10 is under HIPAA retention (6y) until 2031-11-01: pruning refused\n"
    code, out, _ = run(datetime(2031, 11, 1, tzinfo=UTC), "prune", "--before", "2025-11-01")
    assert (code, out) == (
        0,
        "pruned 4 events in 1 archived month\n  2025-10         4  HIPAA 6y, expired 2031-11-01\n",
    )
    code, out, _ = run(datetime(2031, 11, 1, tzinfo=UTC), "retention", "-f", "json")
    status = json.loads(out)
    assert [(m["month"], m["state"]) for m in status["months"]] == [
        ("2025-10", "pruned"),
        ("2025-11", "archived"),
        ("2025-12", "archived"),
    ]
    assert status["next_expiry"] == "2031-12-01"
    code, out, _ = run(datetime(2031, 11, 1, tzinfo=UTC), "verify", "-f", "json")
    assert (code, json.loads(out)["errors"]) == (0, [])


def test_a_bad_age_is_one_line_and_exit_2(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from readiness.cli.main import main

    code = main(["-C", str(project_dir), "audit", "archive", "--older-than", "12weeks"])
    assert (code, capsys.readouterr().err) == (
        2,
        "error: older-than: '12weeks' is not an age like 12mo or 1y (whole months or years)\n",
    )
