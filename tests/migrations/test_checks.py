"""The ``migrations.lint`` merge-gate check, through the built-in plugin."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from readiness._common.clock import FrozenClock
from readiness.config import load_settings
from readiness.gate.model import CheckStatus, Gate, GateContext
from readiness.migrations import plugin
from readiness.migrations.reports import SERVICE_NAME, ReportRecorder, list_reports
from readiness.plugins.manager import builtin_plugin_manager
from readiness.storage.engine import Stores

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SAFE = "BEGIN;\nCREATE TABLE items (id bigint PRIMARY KEY, sku varchar(20));\nCOMMIT;\n"
UNSAFE = "BEGIN;\nALTER TABLE orders DROP COLUMN note;\nCOMMIT;\n"


def run(project: Path, config: str) -> tuple[CheckStatus, str]:
    (project / "readiness.toml").write_text(config, encoding="utf-8")
    settings = load_settings(project, environ={})
    checks = [
        c
        for group in builtin_plugin_manager().hook.readiness_gate_checks(gate=Gate.MERGE)
        for c in group
        if c.id == "migrations.lint"
    ]
    [check] = checks
    context = GateContext(Gate.MERGE, project, settings, FrozenClock(NOW))
    result = check.run(context)
    return result.status, result.summary


def test_it_is_registered_in_the_merge_gate_only() -> None:
    pm = builtin_plugin_manager()
    for gate, count in ((Gate.MERGE, 1), (Gate.DEPLOY, 0), (Gate.VERIFY, 0)):
        ids = [c.id for group in pm.hook.readiness_gate_checks(gate=gate) for c in group]
        assert ids.count("migrations.lint") == count


def test_it_skips_without_configured_paths(tmp_path: Path) -> None:
    status, summary = run(tmp_path, "")
    assert (status, summary) == (
        CheckStatus.SKIP,
        "no migrations configured ([tool.readiness.migrations] paths)",
    )


def test_it_fails_at_the_threshold_and_warns_below(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "V1__items.sql").write_text(SAFE, encoding="utf-8")
    status, summary = run(tmp_path, '[migrations]\npaths = ["db"]\n')
    assert (status, summary) == (
        CheckStatus.WARN,
        "1 migration file(s), 3 statement(s): 1 finding(s) below error",
    )
    status, _ = run(tmp_path, '[migrations]\npaths = ["db"]\nfail_on = "warning"\n')
    assert status == CheckStatus.FAIL
    (tmp_path / "db" / "V2__drop.sql").write_text(UNSAFE, encoding="utf-8")
    status, summary = run(tmp_path, '[migrations]\npaths = ["db"]\n')
    assert (status, summary) == (
        CheckStatus.FAIL,
        "1 finding(s) at or above error in 2 file(s) "
        f"(first: {tmp_path / 'db' / 'V2__drop.sql'}:2 drop-column)",
    )


def test_it_passes_clean_migrations_and_fails_unparseable_ones(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "V1__ok.sql").write_text("BEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;\n")
    config = '[migrations]\npaths = ["db"]\n'
    assert run(tmp_path, config) == (
        CheckStatus.PASS,
        "1 migration file(s), 3 statement(s): no findings",
    )
    (tmp_path / "db" / "V2__bad.sql").write_text("SELEC 1;\n")
    status, summary = run(tmp_path, config)
    assert status == CheckStatus.FAIL
    assert summary.startswith("1 migration(s) cannot be read or parsed (first: ")


def test_the_gate_stores_each_lint_report_through_the_plugin_service(
    tmp_path: Path, stores: Stores
) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "V1__drop.sql").write_text(UNSAFE, encoding="utf-8")
    (tmp_path / "readiness.toml").write_text('[migrations]\npaths = ["db"]\n', encoding="utf-8")
    settings = load_settings(tmp_path, environ={})
    pm = builtin_plugin_manager()
    services = plugin.readiness_gate_services(settings=settings, stores=stores)
    assert isinstance(services[SERVICE_NAME], ReportRecorder)
    remote = plugin.readiness_gate_services(settings=settings, stores=None)
    assert SERVICE_NAME not in remote
    [check] = [
        c
        for group in pm.hook.readiness_gate_checks(gate=Gate.MERGE)
        for c in group
        if c.id == "migrations.lint"
    ]

    result = check.run(
        GateContext(Gate.MERGE, tmp_path, settings, FrozenClock(NOW), services=services)
    )

    [stored] = list_reports(stores.state, settings.project)
    assert result.status == CheckStatus.FAIL
    assert (stored.source, stored.at, stored.failed, stored.fail_on, stored.files) == (
        "gate",
        NOW,
        True,
        "error",
        1,
    )
    assert [(f["file"], f["line"], f["rule"]) for f in stored.findings] == [
        ("db/V1__drop.sql", 2, "drop-column"),
        ("db/V1__drop.sql", 2, "require-timeout-settings"),
    ]
