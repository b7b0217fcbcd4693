"""The ``logs.no_pii_in_log_calls`` merge-gate check, through the built-in plugin."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from readiness._common.clock import FrozenClock
from readiness.config import load_settings
from readiness.gate.model import CheckResult, CheckStatus, Gate, GateContext
from readiness.plugins.manager import builtin_plugin_manager

NOW = datetime(2026, 12, 1, tzinfo=UTC)
HEAD = "import structlog\nlog = structlog.get_logger()\n"
CLEAN = HEAD + 'log.info("paid", user_id=u, action="order.pay")\n'
LEAK = HEAD + 'log.info("login", email=e)\n'
STYLE = HEAD + 'log.info("paid", userId=u)\n'


def run(project: Path, config: str, files: dict[str, str]) -> CheckResult:
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    (project / "readiness.toml").write_text(config, encoding="utf-8")
    settings = load_settings(project, environ={})
    [check] = [
        c
        for group in builtin_plugin_manager().hook.readiness_gate_checks(gate=Gate.MERGE)
        for c in group
        if c.id == "logs.no_pii_in_log_calls"
    ]
    result: CheckResult = check.run(GateContext(Gate.MERGE, project, settings, FrozenClock(NOW)))
    return result


def test_it_is_registered_in_the_merge_gate_only() -> None:
    pm = builtin_plugin_manager()
    for gate, count in ((Gate.MERGE, 1), (Gate.DEPLOY, 0), (Gate.VERIFY, 0)):
        ids = [c.id for group in pm.hook.readiness_gate_checks(gate=gate) for c in group]
        assert ids.count("logs.no_pii_in_log_calls") == count


def test_no_configured_paths_and_no_code_found_is_a_failure_for_missing_evidence(
    tmp_path: Path,
) -> None:
    result = run(tmp_path, "", {"tests/__init__.py": "", "docs/conf.py": CLEAN, "tool.py": CLEAN})
    assert (result.status, result.summary, result.missing_evidence) == (
        CheckStatus.FAIL,
        "no code to lint: no lint_paths in [tool.readiness.logs], no src/ and no package at "
        "the project's root",
        True,
    )


def test_without_lint_paths_it_lints_src(tmp_path: Path) -> None:
    result = run(tmp_path, "", {"src/app.py": LEAK, "shop/__init__.py": CLEAN})
    assert (result.status, result.evidence["files"]) == (CheckStatus.FAIL, 1)


def test_without_lint_paths_or_src_it_lints_the_root_packages_but_not_tests(
    tmp_path: Path,
) -> None:
    files = {"shop/__init__.py": CLEAN, "shop/app.py": CLEAN, "tests/__init__.py": LEAK}
    result = run(tmp_path, "", files)
    assert (result.status, result.evidence["files"]) == (CheckStatus.PASS, 2)


def test_paths_without_python_files_are_a_failure_for_missing_evidence(tmp_path: Path) -> None:
    result = run(tmp_path, '[logs]\nlint_paths = ["src", "nowhere"]\n', {"src/README": "x"})
    assert (result.status, result.summary, result.missing_evidence) == (
        CheckStatus.FAIL,
        "no Python file found under lint_paths (src, nowhere)",
        True,
    )


def test_clean_code_passes(tmp_path: Path) -> None:
    result = run(tmp_path, '[logs]\nlint_paths = ["src"]\n', {"src/app.py": CLEAN})
    assert (result.status, result.summary) == (CheckStatus.PASS, "1 file(s): no findings")


def test_a_leaking_log_call_fails_with_the_finding_as_evidence(tmp_path: Path) -> None:
    files = {"src/app.py": CLEAN, "src/auth.py": LEAK}
    result = run(tmp_path, '[logs]\nlint_paths = ["src"]\n', files)
    assert (result.status, result.summary, result.missing_evidence) == (
        CheckStatus.FAIL,
        "1 finding(s) at or above error in 2 file(s) (first: src/auth.py:3 pii-name email)",
        False,
    )
    assert [(f["file"], f["line"], f["rule"]) for f in result.evidence["findings"]] == [
        ("src/auth.py", 3, "pii-name")
    ]


def test_findings_below_the_threshold_warn(tmp_path: Path) -> None:
    result = run(tmp_path, '[logs]\nlint_paths = ["src"]\n', {"src/app.py": STYLE})
    assert (result.status, result.summary) == (
        CheckStatus.WARN,
        "1 file(s): 1 finding(s) below error",
    )


def test_a_suppressed_finding_with_a_reason_passes(tmp_path: Path) -> None:
    source = HEAD + 'log.info("x", email=e)  # readiness: allow pii-name reason="fixture"\n'
    result = run(tmp_path, '[logs]\nlint_paths = ["src"]\n', {"src/app.py": source})
    assert (result.status, result.evidence["suppressed"]) == (CheckStatus.PASS, 1)


def test_an_unparseable_file_fails(tmp_path: Path) -> None:
    files = {"src/app.py": CLEAN, "src/broken.py": "def f(:\n"}
    result = run(tmp_path, '[logs]\nlint_paths = ["src"]\n', files)
    assert (result.status, result.summary) == (
        CheckStatus.FAIL,
        "1 file(s) cannot be read or parsed (first: src/broken.py:1:7: not valid Python: "
        "invalid syntax)",
    )
