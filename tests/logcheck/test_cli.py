"""``readiness logs lint`` and ``logs rules``: formats, exit codes at the --fail-on threshold,
unreadable input, syntax errors, configured paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.cli.main import main

LEAK = 'import structlog\nlog = structlog.get_logger()\nlog.info("login", email=e)\n'
STYLE = 'import structlog\nlog = structlog.get_logger()\nlog.info("paid", userId=u)\n'


class Cli:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.root), "logs", *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    (project_dir / "app").mkdir()
    (project_dir / "app" / "leak.py").write_text(LEAK, encoding="utf-8")
    (project_dir / "style").mkdir()
    (project_dir / "style" / "names.py").write_text(STYLE, encoding="utf-8")
    return Cli(project_dir, capsys)


def test_a_pii_finding_exits_1_at_the_default_threshold(cli: Cli, project_dir: Path) -> None:
    code, out, err = cli("lint", str(project_dir / "app"))
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == "app/leak.py:3:19: error [pii-name]"
    assert out.splitlines()[-1] == "1 finding (1 error) in 1 file"


def test_a_warning_exits_0_at_error_and_1_at_warning(cli: Cli, project_dir: Path) -> None:
    path = str(project_dir / "style")
    assert cli("lint", path)[0] == 0
    assert cli("lint", path, "--fail-on", "warning")[0] == 1
    assert cli("lint", path, "--fail-on", "warning", "--disable", "field-name")[0] == 0


def test_json_output_is_the_report(cli: Cli, project_dir: Path) -> None:
    code, out, _ = cli("lint", str(project_dir / "app"), "-f", "json")
    data = json.loads(out)
    assert (code, data["files"], [f["rule"] for f in data["findings"]]) == (1, 1, ["pii-name"])


def test_a_missing_path_exits_2_with_one_line(cli: Cli, project_dir: Path) -> None:
    code, out, err = cli("lint", str(project_dir / "nope"))
    assert (code, out) == (2, "")
    assert err == f"error: {project_dir / 'nope'}: no such file or directory\n"


def test_an_unreadable_file_exits_2_with_one_line(cli: Cli, project_dir: Path) -> None:
    (project_dir / "app" / "dangling.py").symlink_to(project_dir / "gone.py")
    code, out, err = cli("lint", str(project_dir / "app"))
    assert (code, err) == (
        2,
        "error: app/dangling.py: cannot be read (No such file or directory)\n",
    )
    assert out.splitlines()[-1] == "1 finding (1 error) in 1 file, 1 not linted"


def test_a_syntax_error_is_reported_and_the_other_files_are_linted(
    cli: Cli, project_dir: Path
) -> None:
    (project_dir / "app" / "broken.py").write_text("def f(:\n", encoding="utf-8")
    code, out, err = cli("lint", str(project_dir / "app"), "-f", "json")
    data = json.loads(out)
    assert (code, err, data["files"]) == (1, "", 2)
    assert [e["file"] for e in data["errors"]] == ["app/broken.py"]
    assert [f["file"] for f in data["findings"]] == ["app/leak.py"]


def test_unknown_format_and_threshold_exit_2(cli: Cli, project_dir: Path) -> None:
    path = str(project_dir / "app")
    assert cli("lint", path, "-f", "xml")[::2] == (
        2,
        "error: --format xml: expected one of text, json, sarif, github\n",
    )
    assert cli("lint", path, "--fail-on", "fatal")[::2] == (
        2,
        "error: --fail-on: unknown severity 'fatal'; expected info, warning or error\n",
    )
    code, _, err = cli("lint", path, "--disable", "no-such-rule")
    assert (code, err.startswith("error: [tool.readiness.logs] disable: unknown rule")) == (2, True)


def test_without_paths_it_lints_the_configured_ones_or_exits_2(cli: Cli, project_dir: Path) -> None:
    assert cli("lint")[::2] == (
        2,
        "error: no code to lint: give PATH..., or set lint_paths in [tool.readiness.logs] "
        "(without it: src/, else the packages at the project's root)\n",
    )
    (project_dir / "readiness.toml").write_text(
        '[logs]\nlint_paths = ["style"]\nfail_on = "warning"\n', encoding="utf-8"
    )
    code, out, _ = cli("lint")
    assert (code, out.splitlines()[0]) == (1, "style/names.py:3:18: warning [field-name]")


def test_rules_lists_each_rule_with_its_severity(cli: Cli) -> None:
    code, out, _ = cli("rules")
    assert (code, [line.split()[:2] for line in out.splitlines()]) == (
        0,
        [
            ["bad-suppression", "error"],
            ["body-with-exception", "error"],
            ["pii-name", "error"],
            ["whole-object", "error"],
            ["error-context", "warning"],
            ["field-name", "warning"],
            ["print-call", "warning"],
            ["unbounded-trace", "warning"],
        ],
    )


def test_every_cli_module_of_the_package_registers_its_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import readiness.logcheck
    from readiness.logcheck import cli as logs_cli

    (tmp_path / "cli_probe.py").write_text(
        "def register(app):\n"
        "    @app.command('probe')\n"
        "    def probe() -> None:\n"
        "        print('probed')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(
        readiness.logcheck, "__path__", [*readiness.logcheck.__path__, str(tmp_path)]
    )
    before = list(logs_cli.app.registered_commands)
    try:
        logs_cli._register_others()
        names = [c.name for c in logs_cli.app.registered_commands]
    finally:
        logs_cli.app.registered_commands[:] = before
        sys.modules.pop("readiness.logcheck.cli_probe", None)
    # every cli_* module registers again, in name order: the probe, then scan a second time
    assert ([c.name for c in before], names[len(before) :]) == (
        ["lint", "rules", "scan"],
        ["probe", "scan"],
    )
