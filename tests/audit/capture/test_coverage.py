"""`readiness audit coverage` and the gate check audit.capture_coverage on the example app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.capture.coverage import coverage_report, report_lines
from readiness.audit.capture.policy import Category
from readiness.audittrail.checks_capture import FIX, NO_APP, NO_OBSERVED, CaptureCoverageCheck
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.gate.model import CheckStatus, Gate, GateContext
from tests.audit.capture import example_app

ROOT = Path(__file__).resolve().parents[3]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
APP = "tests.audit.capture.example_app:app"
BARE = "tests.audit.capture.example_app:bare_app"
DOCS = [
    "  not_audited  GET    /openapi.json -> -: not sensitive, no category",
    "  not_audited  GET    /docs -> -: not sensitive, no category",
    "  not_audited  GET    /docs/oauth2-redirect -> -: not sensitive, no category",
    "  not_audited  GET    /redoc -> -: not sensitive, no category",
]
OBSERVED_LINES = [
    "  covered      POST   /login -> login.create: planned by a must-be-logged category "
    "[authentication: tag 'auth'; sensitive_mutation: POST changes data]",
    "  covered      GET    /patients/{patient_id} -> patients.read: planned by a read of the "
    "sensitive resource 'patients'",
    "  covered      PUT    /patients/{patient_id} -> patients.update: planned by a "
    "must-be-logged category [sensitive_mutation: PUT changes data]",
    "  covered      POST   /admin/users/{user_id}/roles -> user.role.grant: planned by @audited "
    "[sensitive_mutation: POST changes data; admin: tag 'admin'; access_control: path segment "
    "'roles']",
    "  covered      GET    /exports/patients -> exports.patients.read: planned by a "
    "must-be-logged category [export: path segment 'exports']",
    "  covered      PUT    /settings/retention -> settings.retention.update: planned by a "
    "must-be-logged category [sensitive_mutation: PUT changes data; configuration: path "
    "segment 'settings']",
    "  exempt       GET    /health -> -: exempt: liveness probe, polled every second",
    "  not_audited  GET    /items -> -: not sensitive, no category",
    "  unexercised  POST   /boom/{n} -> boom.create: planned by a must-be-logged category; the "
    "tests never requested it [sensitive_mutation: POST changes data]",
]
CATEGORIES_COVERED = [
    "categories:",
    "  covered      authentication events: 1 route audited or exempted",
    "  covered      authorization failures: the middleware records every 401 and 403",
    "  covered      mutations of sensitive resources: 5 routes audited or exempted",
    "  covered      admin actions: 1 route audited or exempted",
    "  covered      access-control changes: 1 route audited or exempted",
    "  covered      exports and bulk downloads: 1 route audited or exempted",
    "  covered      configuration changes: 1 route audited or exempted",
    "  external     direct database access by operators: outside the app: capture it with "
    "PostgreSQL triggers (readiness audit capture install-triggers) and pgaudit",
]


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The observed file of the example app's own test run (a real pytest subprocess)."""
    path = tmp_path_factory.mktemp("observed") / "audit-observed.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    env["READINESS_AUDIT_OBSERVED"] = str(path)
    done = subprocess.run(
        [*PYTEST, "tests/audit/capture/example_suite.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return path


def run(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["-C", str(project), "audit", "coverage", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_report_maps_every_route_to_the_events_the_apps_test_run_emitted(
    project_dir: Path, observed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(project_dir, capsys, APP, "--observed", str(observed))

    assert code == 0
    assert out.splitlines() == [
        f"audit capture of {APP}: complete",
        f"observed: {observed}",
        *DOCS,
        *OBSERVED_LINES,
        *CATEGORIES_COVERED,
    ]


def test_an_app_without_the_middleware_is_incomplete_and_exits_1(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(project_dir, capsys, BARE, "--format", "json")

    report = json.loads(out)
    assert code == 1
    assert (report["complete"], report["middleware"]) == (False, False)
    assert report["uncovered"] == [
        "POST /login",
        "PUT /patients/{patient_id}",
        "POST /admin/users/{user_id}/roles",
        "GET /exports/patients",
        "PUT /settings/retention",
        "POST /boom/{n}",
    ]
    assert [(c["category"], c["status"]) for c in report["categories"]] == [
        ("authentication", "uncovered"),
        ("authorization_failure", "uncovered"),
        ("sensitive_mutation", "uncovered"),
        ("admin", "uncovered"),
        ("access_control", "uncovered"),
        ("export", "uncovered"),
        ("configuration", "uncovered"),
        ("operator_db_access", "external"),
    ]
    assert report["categories"][0]["detail"] == "not audited: POST /login"


def test_a_route_the_tests_requested_without_an_event_is_missed() -> None:
    lines = [
        {"method": "PUT", "route": "/patients/{patient_id}", "status": 200, "actions": []},
        {"method": "PUT", "route": "/patients/{patient_id}", "status": 200, "actions": []},
        {"method": "GET", "route": "/gone", "status": 200, "actions": []},
    ]

    report = coverage_report(example_app.app, "clinic", lines, "obs.jsonl")

    missed = [r for r in report.routes if r.status == "missed"]
    assert [(r.method, r.path, r.reason) for r in missed] == [
        (
            "PUT",
            "/patients/{patient_id}",
            "planned by a must-be-logged category, but the tests' 2 requests emitted no audit "
            "event",
        )
    ]
    assert report.complete is False
    assert report_lines(report)[0] == (
        "audit capture of clinic: INCOMPLETE: 1 uncovered route, 1 uncovered category"
    )
    assert report_lines(report)[-1] == "  observed but not a route of the app: GET /gone"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "error: APP 'nope': expected module:attribute, e.g. myapp.main:app\n"),
        (
            ["no_such_module_x:app"],
            "error: APP 'no_such_module_x:app': cannot import no_such_module_x: No module named "
            "'no_such_module_x'\n",
        ),
        (
            ["tests.audit.capture.example_app:nothing"],
            "error: APP 'tests.audit.capture.example_app:nothing': "
            "tests.audit.capture.example_app has no attribute nothing\n",
        ),
        (
            ["tests.audit.capture.example_app:POLICY"],
            "error: APP 'tests.audit.capture.example_app:POLICY': not a FastAPI or Starlette "
            "application\n",
        ),
        (
            [],
            "error: no app to analyse: give APP as module:attr (e.g. myapp.main:app) or set "
            "[audit.capture] app in readiness.toml\n",
        ),
    ],
)
def test_a_bad_app_is_one_error_line_and_exit_2(
    project_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run(project_dir, capsys, *args) == (2, "", message)


def test_an_observed_file_the_middleware_did_not_write_is_exit_2(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = project_dir / "obs.jsonl"
    bad.write_text('{"actions": []}\n[1]\n')

    assert run(project_dir, capsys, APP, "--observed", str(bad)) == (
        2,
        "",
        f"error: --observed {bad} line 2: not a line the middleware wrote\n",
    )


# -- the gate check ------------------------------------------------------------------------


def context(project: Path, clock: FrozenClock, capture: str) -> GateContext:
    (project / "readiness.toml").write_text(f"[audit.capture]\n{capture}\n")
    settings = load_settings(project, environ={})
    return GateContext(gate=Gate.MERGE, root=project, settings=settings, clock=clock)


def test_the_check_fails_as_missing_evidence_when_no_app_is_configured(
    project_dir: Path, clock: FrozenClock
) -> None:
    result = CaptureCoverageCheck().run(context(project_dir, clock, ""))

    assert (result.status, result.summary, result.remediation, result.missing_evidence) == (
        CheckStatus.FAIL,
        "No app is configured for the audit capture coverage check",
        NO_APP,
        True,
    )
    assert NO_APP == (
        'Set [audit.capture] app = "module:attr" in readiness.toml (the FastAPI app to '
        "analyse), add AuditMiddleware to it, and run its tests with "
        "READINESS_AUDIT_OBSERVED=FILE, naming FILE in [audit.capture] observed."
    )


def test_the_check_fails_as_missing_evidence_when_the_observed_file_is_absent(
    project_dir: Path, clock: FrozenClock
) -> None:
    ctx = context(project_dir, clock, f'app = "{APP}"\nobserved = "obs.jsonl"')

    result = CaptureCoverageCheck().run(ctx)

    path = project_dir / "obs.jsonl"
    assert (result.status, result.summary, result.missing_evidence) == (
        CheckStatus.FAIL,
        f"No observed audit capture of the app's test run at {path}",
        True,
    )
    assert result.remediation == NO_OBSERVED.format(path=path)
    assert result.remediation == (
        f"Run the app's tests with READINESS_AUDIT_OBSERVED={path} so the middleware records "
        "the audit events each route emits, then run the gate again."
    )


def test_the_check_fails_when_observation_is_required_but_not_configured(
    project_dir: Path, clock: FrozenClock
) -> None:
    ctx = context(project_dir, clock, f'app = "{APP}"\nrequire_observed = true')

    result = CaptureCoverageCheck().run(ctx)

    assert (result.status, result.summary, result.missing_evidence) == (
        CheckStatus.FAIL,
        "No observed file is configured and [audit.capture] require_observed is set",
        True,
    )


def test_the_check_passes_on_a_complete_capture(
    project_dir: Path, clock: FrozenClock, observed: Path
) -> None:
    ctx = context(project_dir, clock, f'app = "{APP}"\nobserved = "{observed}"')

    result = CaptureCoverageCheck().run(ctx)

    assert (result.status, result.summary) == (
        CheckStatus.PASS,
        f"Capture of {APP} is complete: 7 routes audited, 1 exempt",
    )
    assert result.evidence["complete"] is True


def test_the_check_lists_each_uncovered_route_and_category(
    project_dir: Path, clock: FrozenClock
) -> None:
    result = CaptureCoverageCheck().run(context(project_dir, clock, f'app = "{BARE}"'))

    assert (result.status, result.remediation) == (CheckStatus.FAIL, FIX)
    assert result.summary == (
        f"6 uncovered routes and 7 uncovered categories in {BARE}: POST /login (uncovered), "
        "PUT /patients/{patient_id} (uncovered), POST /admin/users/{user_id}/roles (uncovered), "
        "GET /exports/patients (uncovered), PUT /settings/retention (uncovered) and 8 more"
    )
    assert result.evidence["uncovered"][-1] == "POST /boom/{n}"


def test_the_check_errors_when_the_app_cannot_be_imported(
    project_dir: Path, clock: FrozenClock
) -> None:
    result = CaptureCoverageCheck().run(context(project_dir, clock, 'app = "no_such_mod_y:app"'))

    assert (result.status, result.summary) == (
        CheckStatus.ERROR,
        "Cannot analyse no_such_mod_y:app: APP 'no_such_mod_y:app': cannot import "
        "no_such_mod_y: No module named 'no_such_mod_y'",
    )


def test_the_check_is_registered_for_the_merge_gate_only() -> None:
    from readiness.audittrail.plugin import readiness_gate_checks

    assert [c.id for c in readiness_gate_checks(gate=Gate.MERGE)] == ["audit.capture_coverage"]
    assert [c.id for c in readiness_gate_checks(gate=Gate.DEPLOY)] == ["audit.verified"]
    assert [c.id for c in readiness_gate_checks(gate=Gate.VERIFY)] == ["audit.verified"]


def test_routes_of_mounted_apps_are_mapped_and_other_mounts_listed(tmp_path: Path) -> None:
    from fastapi import FastAPI
    from starlette.staticfiles import StaticFiles

    from readiness.audit.capture import RecordingSink
    from tests.audit.capture.example_app import build_app

    inner = FastAPI(openapi_url=None)

    @inner.delete("/records/{record_id}")
    def drop(record_id: str) -> None:
        del record_id

    app = build_app(RecordingSink())
    app.mount("/legacy", inner)
    app.mount("/static", StaticFiles(directory=tmp_path))

    report = coverage_report(app, "clinic")

    assert [(r.method, r.path, r.status, r.action, r.reason) for r in report.routes[-2:]] == [
        (
            "DELETE",
            "/legacy/records/{record_id}",
            "covered",
            "legacy.records.delete",
            "planned by a must-be-logged category",
        ),
        (
            "*",
            "/static",
            "not_audited",
            None,
            "a mounted StaticFiles app: its requests are not routes the report can map",
        ),
    ]


def test_an_app_wrapped_by_hand_in_the_middleware_is_analysed_with_its_policy() -> None:
    from readiness.audit.capture import AuditMiddleware, CapturePolicy, RecordingSink

    wrapped = AuditMiddleware(
        example_app.bare_app, sink=RecordingSink(), policy=CapturePolicy(record_denials=False)
    )

    report = coverage_report(wrapped, "wrapped")

    assert (report.middleware, report.uncovered, report.uncovered_categories) == (
        True,
        [],
        [Category.AUTHORIZATION_FAILURE],
    )
    assert report.categories[Category.AUTHORIZATION_FAILURE] == (
        "uncovered",
        "the middleware's record_denials is off",
    )
