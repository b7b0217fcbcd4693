"""What the linters' ``lint`` commands share: one line and exit 2 for a bad ``--format`` or
``--fail-on`` and for ``--record`` against a server, the same in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.cli.main import main

#: The last line of each linter's text report of its file.
SUMMARY = {
    "logs": "1 finding (1 error) in 1 file",
    "migrations": "1 file, 1 statement: 1 error, 1 info, 1 warning",
}
LINTERS = {
    "logs": ("app.py", 'import structlog\nlog = structlog.get_logger()\nlog.info("x", email=e)\n'),
    "migrations": ("V1__drop.sql", "ALTER TABLE orders DROP COLUMN note;\n"),
}


def run(
    capsys: pytest.CaptureFixture[str], project_dir: Path, linter: str, *args: str
) -> tuple[int, str, str]:
    name, text = LINTERS[linter]
    (project_dir / name).write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = main(["-C", str(project_dir), linter, "lint", str(project_dir / name), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("linter", sorted(LINTERS))
def test_record_against_a_server_exits_2_with_one_line_after_the_report(
    linter: str,
    capsys: pytest.CaptureFixture[str],
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READINESS_URL", "http://127.0.0.1:9/")
    code, out, err = run(capsys, project_dir, linter, "--record")
    assert (code, out.splitlines()[-1], err) == (
        2,
        SUMMARY[linter],
        "error: --record stores the report in the local database; it is not available with a "
        "server url set (run it where the project's database is)\n",
    )


@pytest.mark.parametrize("linter", sorted(LINTERS))
def test_an_error_finding_fails_the_run_in_every_format(
    linter: str, capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    codes = [run(capsys, project_dir, linter, "-f", fmt)[::2] for fmt in ("json", "sarif")]
    assert codes == [(1, ""), (1, "")]


@pytest.mark.parametrize("linter", sorted(LINTERS))
def test_a_bad_threshold_exits_2_with_one_line(
    linter: str, capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    assert run(capsys, project_dir, linter, "--fail-on", "fatal") == (
        2,
        "",
        "error: --fail-on: unknown severity 'fatal'; expected info, warning or error\n",
    )
