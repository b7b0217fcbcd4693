"""The CLI end to end, in-process: exit codes, JSON shapes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness import __version__
from readiness.cli.main import main
from readiness.testing import junit_xml


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")


def write_history(root: Path) -> list[Path]:
    files = []
    for n, outcome in enumerate(["failed", "passed", "passed"]):
        path = root / f"run{n}.xml"
        path.write_bytes(
            junit_xml(
                {
                    "tests/test_pay.py::test_webhook": outcome,
                    "tests/test_pay.py::test_refund": "passed",
                }
            )
        )
        files.append(path)
    return files


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"readiness {__version__}\n"


def test_init_is_idempotent_and_keeps_existing_files(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, out, _ = run(capsys, project_dir, "init", "--format", "json")
    first = json.loads(out)
    key = project_dir / ".readiness" / "secrets" / "session.key"
    secret = key.read_text()

    code2, out2, _ = run(capsys, project_dir, "init", "--format", "json")
    second = json.loads(out2)

    assert (code, code2) == (0, 0)
    assert first["created"] == [
        str(project_dir / "readiness.toml"),
        str(project_dir / ".readiness" / ".gitignore"),
        str(key),
    ]
    assert second["created"] == []
    assert key.read_text() == secret
    assert key.stat().st_mode & 0o777 == 0o600


def test_init_adds_a_tool_readiness_section_to_an_existing_pyproject(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    (project_dir / "pyproject.toml").write_text('[project]\nname = "app"\n')

    code, _, _ = run(capsys, project_dir, "init")

    text = (project_dir / "pyproject.toml").read_text()
    assert code == 0
    assert text.startswith('[project]\nname = "app"\n\n# Readiness configuration.')
    assert "[tool.readiness.testhealth]" in text
    assert not (project_dir / "readiness.toml").exists()


def test_ingest_then_flaky_reports_the_same_commit_flake_as_json(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    files = write_history(project_dir)
    for n, path in enumerate(files):
        code, _, err = run(
            capsys,
            project_dir,
            "tests",
            "ingest",
            str(path),
            "--commit",
            "c1" if n < 2 else "c2",
            "--branch",
            "main",
            "--run-id",
            f"r{n}",
        )
        assert (code, err) == (0, "")

    code, out, _ = run(capsys, project_dir, "tests", "flaky", "--format", "json")

    flaky = json.loads(out)
    assert code == 0
    assert [(f["test_id"], f["status"], f["runs"], f["failures"]) for f in flaky] == [
        ("tests/test_pay.py::test_webhook", "flaky", 3, 1)
    ]
    assert [r["rule"] for r in flaky[0]["rules"]] == ["same-commit"]
    assert flaky[0]["flake_rate"] == pytest.approx(1 / 3, abs=1e-6)


def test_reingesting_the_same_run_reports_a_duplicate_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    path = write_history(project_dir)[0]
    args = ("tests", "ingest", str(path), "--commit", "c1", "--run-id", "r1", "--format", "json")
    run(capsys, project_dir, *args)

    code, out, _ = run(capsys, project_dir, *args)

    assert code == 0
    assert [r["duplicate"] for r in json.loads(out)] == [True]


def test_malformed_junit_is_one_line_on_stderr_with_exit_2(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    bad = project_dir / "bad.xml"
    bad.write_text("<testsuite><testcase name='a'>\n</testsuite>")

    code, out, err = run(capsys, project_dir, "tests", "ingest", str(bad))

    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: JUnit XML {bad} line 2:")
    assert "Traceback" not in err


def test_quarantine_add_list_remove_round_trip_through_the_reviewed_file(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    test_id = "tests/test_pay.py::test_webhook"
    run(capsys, project_dir, "tests", "ingest", str(write_history(project_dir)[0]))
    code, out, _ = run(
        capsys,
        project_dir,
        "tests",
        "quarantine",
        "add",
        test_id,
        "--reason",
        "races",
        "--owner",
        "@payments",
        "--expires",
        "2099-01-31",
        "--format",
        "json",
    )
    added = json.loads(out)
    listed = json.loads(run(capsys, project_dir, "tests", "quarantine", "list", "-f", "json")[1])
    file_text = (project_dir / ".readiness" / "quarantine.toml").read_text()
    code_rm, _, _ = run(
        capsys, project_dir, "tests", "quarantine", "remove", test_id, "--reason", "fixed"
    )
    after = json.loads(run(capsys, project_dir, "tests", "quarantine", "list", "-f", "json")[1])

    assert (code, code_rm) == (0, 0)
    assert (added["test_id"], added["owner"], added["created_by"]) == (
        test_id,
        "@payments",
        "ci-bot",
    )
    assert added["expires"] == "2099-01-31T00:00:00+00:00"
    assert [e["test_id"] for e in listed] == [test_id]
    assert f'test = "{test_id}"' in file_text
    assert after == []


def test_quarantine_add_without_reason_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, _, err = run(capsys, project_dir, "tests", "quarantine", "add", "tests/t.py::x")
    assert code == 2
    assert "--reason" in err


def test_bad_configuration_is_one_line_naming_the_key(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    (project_dir / "readiness.toml").write_text("[testhealth]\nflip_activation = 'high'\n")

    code, _, err = run(capsys, project_dir, "tests", "flaky")

    assert code == 2
    assert err.startswith(f"error: configuration ({project_dir / 'readiness.toml'}): ")
    assert "testhealth.flip_activation" in err


def test_a_bad_configuration_value_is_shown_as_toml_writes_it(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    (project_dir / "readiness.toml").write_text("[testhealth]\nflip_activation = ['high']\n")

    code, _, err = run(capsys, project_dir, "tests", "flaky")

    assert code == 2
    assert err == (
        f"error: configuration ({project_dir / 'readiness.toml'}): testhealth.flip_activation: "
        'Input should be a valid number (got ["high"]); see `readiness init` for a commented '
        "example\n"
    )


def test_gate_merge_fails_with_exit_1_when_the_latest_run_failed(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    path = write_history(project_dir)[0]
    run(capsys, project_dir, "tests", "ingest", str(path), "--commit", "c1", "--branch", "main")

    code, out, _ = run(capsys, project_dir, "gate", "merge", "--head", "c1", "--format", "json")

    report = json.loads(out)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert [c["summary"] for c in report["checks"] if c["status"] == "error"] == []
    assert code == 1
    assert report["verdict"] == "fail"
    assert statuses["tests.passed"] == "fail"
    assert statuses["tests.quarantine_expired"] == "pass"


def test_ingest_prints_the_file_name_and_the_infrastructure_note_as_they_are(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    path = project_dir / "run[py3.12].xml"
    path.write_bytes(junit_xml({f"tests/test_db.py::test_{n}": "failed" for n in range(10)}))

    code, out, _ = run(capsys, project_dir, "tests", "ingest", str(path))

    assert code == 0
    assert out == (
        f"{path}: pytest, 10 tests, 10 results, 10 failed [infrastructure failure: not counted]\n"
    )
