"""``readiness migrations lint``: formats, exit codes at the --fail-on threshold, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.cli.main import main

UNSAFE = (
    "SET lock_timeout = '2s';\nSET statement_timeout = '1min';\nBEGIN;\n"
    "ALTER TABLE orders RENAME COLUMN total TO amount;\nCOMMIT;\n"
)
STYLE = "CREATE TABLE items (id bigint PRIMARY KEY, sku varchar(20));\n"


class Cli:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.root), "migrations", *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    (project_dir / "migrations").mkdir()
    (project_dir / "migrations" / "V1__rename.sql").write_text(UNSAFE, encoding="utf-8")
    (project_dir / "style.sql").write_text(STYLE, encoding="utf-8")
    return Cli(project_dir, capsys)


def test_text_output_shows_the_finding_with_a_code_frame_and_exits_1(
    cli: Cli, project_dir: Path
) -> None:
    path = str(project_dir / "migrations")
    code, out, err = cli("lint", path)
    assert (code, err) == (1, "")
    file = str(project_dir / "migrations" / "V1__rename.sql")
    assert out.splitlines()[:6] == [
        f"{file}:4:1: error [rename-column] renaming column orders.total to amount: the "
        "previous application version still uses total",
        "   3 | BEGIN;",
        " > 4 | ALTER TABLE orders RENAME COLUMN total TO amount;",
        "     | ^",
        "   5 | COMMIT;",
        "   lock: ACCESS EXCLUSIVE; rewrites: no; rollback-safe: no",
    ]
    assert out.rstrip().endswith("1 file, 5 statements: 1 error")


def test_json_has_the_documented_fields(cli: Cli, project_dir: Path) -> None:
    code, out, _ = cli("lint", str(project_dir / "migrations"), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert data["errors"] == []
    [finding] = data["findings"]
    assert {k: finding[k] for k in ("line", "rule", "severity", "lock", "rewrites")} == {
        "line": 4,
        "rule": "rename-column",
        "severity": "error",
        "lock": "ACCESS EXCLUSIVE",
        "rewrites": False,
    }
    assert finding["rollback_safe"] is False
    assert finding["file"].endswith("V1__rename.sql")
    assert finding["safe_alternative"].startswith("-- 1. expand: add the new column\n")


def test_fail_on_is_a_threshold_findings_at_it_fail(cli: Cli, project_dir: Path) -> None:
    style = str(project_dir / "style.sql")
    assert cli("lint", style)[0] == 0  # warnings only, default threshold error
    assert cli("lint", style, "--fail-on", "warning")[0] == 1  # at the threshold
    assert cli("lint", style, "--fail-on", "info")[0] == 1
    assert cli("lint", str(project_dir / "migrations"), "--fail-on", "error")[0] == 1


def test_sarif_is_version_2_1_0_with_rules_and_regions(cli: Cli, project_dir: Path) -> None:
    code, out, _ = cli("lint", str(project_dir / "migrations"), "-f", "sarif")
    sarif = json.loads(out)
    run = sarif["runs"][0]
    assert (code, sarif["version"]) == (1, "2.1.0")
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["rename-column"]
    [result] = run["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (result["ruleId"], result["level"], region) == (
        "rename-column",
        "error",
        {"startLine": 4, "startColumn": 1},
    )


def test_github_annotations_and_markdown(cli: Cli, project_dir: Path) -> None:
    file = str(project_dir / "migrations" / "V1__rename.sql")
    _, out, _ = cli("lint", file, "-f", "github")
    assert out.startswith(
        f"::error file={file},line=4,col=1,title=rename-column (ACCESS EXCLUSIVE)::renaming"
    )
    _, md, _ = cli("lint", file, "-f", "markdown")
    assert md.splitlines()[:5] == [
        "### Migration lint",
        "",
        "| | rule | where | lock | rewrites | rollback-safe |",
        "|---|---|---|---|---|---|",
        f"| ❌ | `rename-column` | `{file}:4` | ACCESS EXCLUSIVE | no | no |",
    ]


def test_an_unparseable_file_is_reported_and_the_others_still_linted(
    cli: Cli, project_dir: Path
) -> None:
    (project_dir / "migrations" / "V2__bad.sql").write_text("SELECT 1;\nALTR TABLE x;\n")
    code, out, _ = cli("lint", str(project_dir / "migrations"), "-f", "json")
    data = json.loads(out)
    assert code == 1
    assert [f["rule"] for f in data["findings"]] == ["rename-column"]
    assert data["errors"] == [
        {
            "file": str(project_dir / "migrations" / "V2__bad.sql"),
            "line": 2,
            "column": 1,
            "reason": 'syntax error at or near "ALTR"',
        }
    ]


def test_unreadable_input_exits_2_with_one_line(cli: Cli, project_dir: Path) -> None:
    code, _, err = cli("lint", str(project_dir / "nope"))
    assert (code, err) == (2, f"error: {project_dir / 'nope'}: no such file or directory\n")
    code, _, err = cli("lint", str(project_dir / "style.sql"), "--format", "xml")
    assert (code, err) == (
        2,
        "error: --format xml: expected one of text, json, sarif, github, markdown\n",
    )


def test_paths_default_to_the_configured_ones(cli: Cli, project_dir: Path) -> None:
    (project_dir / "readiness.toml").write_text(
        '[migrations]\npaths = ["style.sql"]\nfail_on = "warning"\n'
        'disable = ["prefer-text-field"]\n'
    )
    code, out, _ = cli("lint")
    assert (code, out.splitlines()[-1]) == (0, "1 file, 1 statement: 1 info")  # below warning


def test_an_unknown_rule_in_config_is_a_usage_error(cli: Cli, project_dir: Path) -> None:
    (project_dir / "readiness.toml").write_text('[migrations]\ndisable = ["no-such-rule"]\n')
    code, _, err = cli("lint", str(project_dir / "style.sql"))
    assert code == 2
    assert err == (
        "error: [tool.readiness.migrations]: unknown rule no-such-rule; "
        "`readiness migrations rules` lists them\n"
    )


def test_pg_version_changes_what_is_safe(cli: Cli, project_dir: Path) -> None:
    path = project_dir / "default.sql"
    path.write_text(
        "BEGIN;\nSET lock_timeout = '1s';\nSET statement_timeout = '1min';\n"
        "ALTER TABLE o ADD COLUMN s text DEFAULT 'x';\nCOMMIT;\n"
    )
    assert cli("lint", str(path))[0] == 0
    code, out, _ = cli("lint", str(path), "--pg-version", "10", "-f", "json")
    assert (code, [f["rule"] for f in json.loads(out)["findings"]]) == (
        1,
        ["adding-field-with-default"],
    )
