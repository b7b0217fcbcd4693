"""pytest plugin of testhealth (registered through the ``pytest11`` entry point).

Inert unless asked: it records every attempt of every test (``--readiness``, ``--readiness-junit``,
``--readiness-upload``), enforces the quarantine file when one exists (quarantined tests still
run; their failures show as xfailed and never fail the session; expired entries are not
honoured), repeats tests (``--readiness-repeat``), reruns tests never seen before to catch new
flaky tests (``--readiness-new-tests-from``) and orders tests from a file
(``--readiness-order-file``, used by ``readiness tests classify``).

Only pytest and the standard library are imported here at import time; the platform is imported
lazily, so the plugin costs nothing in projects that do not use it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from readiness.testhealth.pytest.remote import fetch_quarantine, project_params, upload_junit
from readiness.testhealth.pytest.report import QUARANTINED_PROPERTY, _Attempt, _Case, render_junit

if TYPE_CHECKING:
    import httpx

    from readiness.testhealth.model import QuarantineEntry

__all__ = ["PLUGIN_NAME", "QUARANTINED_PROPERTY", "fetch_quarantine", "upload_junit"]

PLUGIN_NAME = "readiness-session"
_MAX_TEXT = 20_000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "Readiness test health")
    group.addoption("--readiness", action="store_true", help="record every test attempt")
    group.addoption("--readiness-junit", metavar="PATH", help="write JUnit XML with all attempts")
    group.addoption("--readiness-upload", action="store_true", help="POST results to READINESS_URL")
    group.addoption("--readiness-commit", metavar="SHA", help="commit (default: CI variables)")
    group.addoption("--readiness-branch", metavar="NAME", help="branch (default: CI variables)")
    group.addoption("--readiness-run-id", metavar="ID", help="CI run id (default: CI variables)")
    group.addoption("--readiness-job", metavar="NAME", help="CI job name")
    group.addoption("--readiness-quarantine", metavar="PATH", help="quarantine file to enforce")
    group.addoption(
        "--readiness-quarantine-server",
        action="store_true",
        help="also enforce the quarantine list of READINESS_URL",
    )
    group.addoption(
        "--readiness-repeat", type=int, default=1, metavar="N", help="run tests N times"
    )
    group.addoption(
        "--readiness-new-tests-from",
        metavar="PATH",
        help="file of known test ids; other tests are rerun to catch new flaky tests",
    )
    group.addoption("--readiness-new-reruns", type=int, metavar="K", help="extra runs of new tests")
    group.addoption("--readiness-order-file", metavar="PATH", help="run tests in this order")


def _env(*names: str) -> str | None:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def _wants_settings(root: Path) -> bool:
    """Whether the project configures Readiness at all (loading settings imports pydantic)."""
    if any(k.startswith("READINESS_") for k in os.environ) or (root / "readiness.toml").is_file():
        return True
    pyproject = root / "pyproject.toml"
    return pyproject.is_file() and "tool.readiness" in pyproject.read_text(encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    opt = config.option
    record = bool(opt.readiness or opt.readiness_junit or opt.readiness_upload)
    settings = None
    if record or opt.readiness_new_tests_from or _wants_settings(config.rootpath):
        from readiness.config import load_settings
        from readiness.errors import ReadinessError

        try:
            settings = load_settings(config.rootpath)
        except ReadinessError as exc:
            raise pytest.UsageError(f"readiness: {exc}") from exc
    plugin = ReadinessPlugin(config, settings=settings, record=record)
    if plugin.active:
        config.pluginmanager.register(plugin, PLUGIN_NAME)


def _failure_details(report: pytest.TestReport) -> tuple[str | None, str | None, str]:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(longrepr).strip().splitlines()[-1:]
    if isinstance(message, list):
        message = message[0] if message else None
    failure_type = None
    if message:
        head = message.split(":", 1)[0].strip()
        if head.replace(".", "").replace("_", "").isalnum() and " " not in head:
            failure_type = head
    return message, failure_type, str(longrepr)[:_MAX_TEXT]


class ReadinessPlugin:
    """Per-session state: quarantine, attempts, new tests; registered only when needed."""

    def __init__(self, config: pytest.Config, *, settings: Any, record: bool) -> None:
        self.config = config
        self.settings = settings
        self.record = record
        self.now = datetime.now(UTC)
        opt = config.option
        self.repeat = max(1, int(opt.readiness_repeat))
        self.cases: dict[str, _Case] = {}
        self.quarantine = self._load_quarantine()
        self.quarantined_failures: dict[str, QuarantineEntry] = {}
        self.expired_failures: dict[str, QuarantineEntry] = {}
        self.known: set[str] | None = None
        self.new_reruns = 0
        if opt.readiness_new_tests_from:
            self.known = _read_known(Path(opt.readiness_new_tests_from))
            default = settings.testhealth.early_flake_reruns if settings is not None else 5
            self.new_reruns = max(
                0, opt.readiness_new_reruns if opt.readiness_new_reruns is not None else default
            )
        self.new_tests: set[str] = set()
        self.order = (
            _read_order(Path(opt.readiness_order_file)) if opt.readiness_order_file else None
        )
        self.messages: list[str] = []
        self.record = record or self.known is not None or self.repeat > 1
        self.active = bool(self.record or self.quarantine or self.order is not None)

    # -- setup ------------------------------------------------------------------------------

    def _load_quarantine(self) -> dict[str, QuarantineEntry]:
        opt = self.config.option
        path: Path | None = Path(opt.readiness_quarantine) if opt.readiness_quarantine else None
        if path is None:
            relative = (
                self.settings.testhealth.quarantine_file
                if self.settings is not None
                else ".readiness/quarantine.toml"
            )
            candidate = self.config.rootpath / relative
            path = candidate if candidate.is_file() else None
        entries: list[QuarantineEntry] = []
        if path is not None:
            from readiness.errors import ReadinessError
            from readiness.testhealth.quarantine.file import load_quarantine_file

            try:
                entries = load_quarantine_file(path)
            except ReadinessError as exc:
                raise pytest.UsageError(f"readiness: {exc}") from exc
        if opt.readiness_quarantine_server:
            entries += self._server_quarantine({e.test_id for e in entries})
        return {e.test_id: e for e in entries}

    def _server_quarantine(self, already: set[str]) -> list[QuarantineEntry]:
        client = self._client()
        if client is None:
            self.messages.append(
                "readiness: --readiness-quarantine-server needs READINESS_URL and READINESS_TOKEN"
            )
            return []
        from readiness.errors import ReadinessError

        try:
            with client:
                fetched = fetch_quarantine(client)
        except ReadinessError as exc:
            self.messages.append(f"readiness: WARNING quarantine list not fetched: {exc}")
            return []
        return [e for e in fetched if e.test_id not in already]

    def _client(self) -> httpx.Client | None:
        url = self.settings.url if self.settings is not None else os.environ.get("READINESS_URL")
        token = (
            self.settings.resolved_token()
            if self.settings is not None
            else os.environ.get("READINESS_TOKEN")
        )
        if not url or not token:
            return None
        import httpx

        return httpx.Client(
            base_url=url.rstrip("/"),
            params=project_params(self.settings, self.config.rootpath),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    # -- collection and protocol ------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.order is None:
            return
        # An id listed twice runs twice (the same item again, like a rerun): fix verification
        # interleaves many rounds of a module in one process this way.
        by_id = {item.nodeid: item for item in items}
        listed = [by_id[test_id] for test_id in self.order if test_id in by_id]
        named = set(self.order)
        items[:] = listed + [item for item in items if item.nodeid not in named]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        runs = self.repeat
        if self.known is not None and item.nodeid not in self.known:
            self.new_tests.add(item.nodeid)
            runs = max(runs, 1 + self.new_reruns)
        if runs == 1:
            return None
        from _pytest.runner import runtestprotocol

        for i in range(runs):
            item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
            # Between attempts only the test's own fixtures are torn down (teardown_exact keeps
            # what the "next item" shares), so module fixtures live across the repeats.
            keep = cast("pytest.Item", item.parent) if i < runs - 1 else nextitem
            runtestprotocol(item, nextitem=keep, log=True)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        if report.failed:
            entry = self.quarantine.get(item.nodeid)
            if entry is not None and entry.is_expired(self.now):
                self.expired_failures[item.nodeid] = entry
            elif entry is not None:
                report.user_properties.append((QUARANTINED_PROPERTY, entry.reason))
                report.outcome = "skipped"
                report.wasxfail = f"quarantined: {entry.reason}"
                self.quarantined_failures[item.nodeid] = entry
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.record:
            return
        case = self.cases.get(report.nodeid)
        if case is None:
            case = self.cases[report.nodeid] = _Case(report.nodeid, report.location)
        if report.when == "setup" or not case.attempts:
            case.attempts.append(_Attempt())
        attempt = case.attempts[-1]
        attempt.duration += report.duration
        quarantined = dict(report.user_properties).get(QUARANTINED_PROPERTY)
        outcome = "failed" if quarantined is not None else report.outcome
        if quarantined is not None:
            case.quarantined = str(quarantined)
        if outcome in ("failed", "rerun") and attempt.outcome in ("passed", "skipped"):
            attempt.outcome = "failed" if report.when == "call" else "error"
            attempt.message, attempt.failure_type, attempt.text = _failure_details(report)
        elif outcome == "skipped" and attempt.outcome == "passed":
            attempt.outcome = "skipped"
            reason = getattr(report, "wasxfail", None)
            if isinstance(report.longrepr, tuple):
                reason = reason or report.longrepr[2]
            attempt.message = str(reason) if reason else None

    # -- end of session ---------------------------------------------------------------------

    def flaky_new_tests(self) -> dict[str, list[str]]:
        """New tests whose attempts disagreed (skips ignored), with their outcomes in order."""
        out: dict[str, list[str]] = {}
        for nodeid in sorted(self.new_tests):
            case = self.cases.get(nodeid)
            outcomes = [a.outcome for a in case.attempts] if case else []
            ran = {"failed" if o == "error" else o for o in outcomes if o != "skipped"}
            if len(ran) > 1:
                out[nodeid] = outcomes
        return out

    def meta(self) -> dict[str, str | None]:
        opt = self.config.option
        return {
            "commit": opt.readiness_commit or _env("GITHUB_SHA", "CI_COMMIT_SHA"),
            "branch": opt.readiness_branch or _env("GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"),
            "run_id": opt.readiness_run_id or _env("GITHUB_RUN_ID", "CI_PIPELINE_ID"),
            "attempt": _env("GITHUB_RUN_ATTEMPT", "CI_JOB_RETRY"),
            "job": opt.readiness_job or _env("GITHUB_JOB", "CI_JOB_NAME"),
        }

    def suite_properties(self) -> dict[str, str]:
        props: dict[str, str] = {}
        seed = (
            self.config.getoption("randomly_seed", None)
            if self.config.pluginmanager.hasplugin("randomly")
            else None
        )
        if isinstance(seed, int):
            props["readiness.seed"] = str(seed)
        # pytest-random-order (``-p random_order``) keeps its seed and bucket as options.
        order_seed = getattr(self.config.option, "random_order_seed", None)
        if order_seed not in (None, "") and "readiness.seed" not in props:
            props["readiness.seed"] = str(order_seed)
        bucket = getattr(self.config.option, "random_order_bucket", None)
        if bucket not in (None, ""):
            props["readiness.random_order_bucket"] = str(bucket)
        for key, value in self.meta().items():
            if value and key in ("commit", "branch", "run_id"):
                props[f"readiness.{key}"] = value
        return props

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.flaky_new_tests() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if not self.record:
            return
        xml = render_junit(list(self.cases.values()), self.suite_properties(), self.now)
        opt = self.config.option
        if opt.readiness_junit:
            path = Path(opt.readiness_junit)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(xml)
            self.messages.append(f"readiness: JUnit XML with every attempt written to {path}")
        if opt.readiness_upload:
            self._upload(xml)

    def _upload(self, xml: bytes) -> None:
        client = self._client()
        if client is None:
            self.messages.append(
                "readiness: WARNING not uploaded: set READINESS_URL and READINESS_TOKEN"
            )
            return
        from readiness.errors import ReadinessError

        try:
            with client:
                upload_junit(client, xml, dict(self.meta()))
        except ReadinessError as exc:
            self.messages.append(f"readiness: WARNING upload failed: {exc}")
        else:
            project = client.params.get("project")
            self.messages.append(
                f"readiness: results uploaded to {client.base_url} (project {project})"
            )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tr = terminalreporter
        if self.quarantined_failures:
            n = len(self.quarantined_failures)
            tr.write_sep(
                "=", f"readiness: {n} quarantined test(s) failed (not blocking)", yellow=True
            )
            for test_id, e in sorted(self.quarantined_failures.items()):
                tr.write_line(
                    f"{test_id}  owner={e.owner or '-'} expires={e.expires.date().isoformat()} "
                    f"reason: {e.reason}"
                )
        if self.expired_failures:
            n = len(self.expired_failures)
            tr.write_sep(
                "=", f"readiness: {n} expired quarantine entr(y/ies) not honoured", red=True
            )
            for test_id, e in sorted(self.expired_failures.items()):
                tr.write_line(
                    f"{test_id}: quarantine expired on {e.expires.date().isoformat()}; its failure "
                    "fails the session (fix the test, or renew the entry in review)"
                )
        flaky = self.flaky_new_tests()
        if flaky:
            tr.write_sep("=", f"readiness: {len(flaky)} new test(s) flaky on first sight", red=True)
            for test_id, outcomes in flaky.items():
                tr.write_line(f"{test_id}: {' '.join(outcomes)} (new flaky tests must not merge)")
        for message in self.messages:
            tr.write_line(message)


def _read_known(path: Path) -> set[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise pytest.UsageError(
            f"readiness: --readiness-new-tests-from {path}: cannot be read ({exc.strerror}); "
            "export it with `readiness tests known`"
        ) from exc
    return {s for s in (line.strip() for line in lines) if s and not s.startswith("#")}


def _read_order(path: Path) -> list[str]:
    return [s for s in (x.strip() for x in path.read_text(encoding="utf-8").splitlines()) if s]
