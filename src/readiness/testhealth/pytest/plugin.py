"""pytest plugin of testhealth (registered through the ``pytest11`` entry point).

Inert unless asked: it records every attempt of every test, failed collectors and a session
that ended in error (``--readiness``, ``--readiness-junit``, ``--readiness-upload``), enforces the
quarantine file when one exists (quarantined tests still run; their failures show as xfailed and
never fail the session; expired entries are not honoured), repeats tests
(``--readiness-repeat``), reruns tests never seen before to catch new flaky tests
(``--readiness-new-tests-from``) and orders tests from a file (``--readiness-order-file``, used by
``readiness tests classify``).

Under pytest-xdist one session is one run: the controller records what every worker reports
and alone writes and uploads the report; the workers repeat, rerun and enforce the quarantine the
controller handed them (``workers``).

Only pytest and the standard library are imported here at import time; the platform is imported
lazily, so the plugin costs nothing in projects that do not use it.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from readiness.testhealth.pytest.recorder import Recorder, suite_name
from readiness.testhealth.pytest.remote import fetch_quarantine, project_params, upload_junit
from readiness.testhealth.pytest.report import QUARANTINED_PROPERTY, render_junit
from readiness.testhealth.pytest.summary import write_summary
from readiness.testhealth.pytest.workers import WIRE_KEY, WorkerSetup, to_wire, worker_setup

if TYPE_CHECKING:
    import httpx

    from readiness.testhealth.model import QuarantineEntry

__all__ = ["PLUGIN_NAME", "QUARANTINED_PROPERTY", "fetch_quarantine", "upload_junit"]

PLUGIN_NAME = "readiness-session"
# Exit statuses of a session that did not run to its end; the report must not read as a pass.
_BROKEN_SESSION = (
    pytest.ExitCode.INTERRUPTED,
    pytest.ExitCode.INTERNAL_ERROR,
    pytest.ExitCode.USAGE_ERROR,
)


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
    setup = worker_setup(config)
    # An xdist worker's attempts reach the controller as reports; only the controller records,
    # and it has already loaded the settings and decided what the worker needs from them.
    record = setup is None and bool(opt.readiness or opt.readiness_junit or opt.readiness_upload)
    settings = None
    if setup is None and (
        record or opt.readiness_new_tests_from or _wants_settings(config.rootpath)
    ):
        from readiness.config import load_settings
        from readiness.errors import ReadinessError

        try:
            settings = load_settings(config.rootpath)
        except ReadinessError as exc:
            raise pytest.UsageError(f"readiness: {exc}") from exc
    plugin = ReadinessPlugin(config, settings=settings, record=record, setup=setup)
    if plugin.active:
        config.pluginmanager.register(plugin, PLUGIN_NAME)


class ReadinessPlugin:
    """Per-session state: quarantine, attempts, new tests; registered only when needed."""

    def __init__(
        self,
        config: pytest.Config,
        *,
        settings: Any,
        record: bool,
        setup: WorkerSetup | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.now = setup.now if setup is not None else datetime.now(UTC)
        opt = config.option
        self.repeat = max(1, int(opt.readiness_repeat))
        self.recorder = Recorder()
        self.session_error: str | None = None
        self.quarantine = (
            {e.test_id: e for e in setup.quarantine}
            if setup is not None
            else self._load_quarantine()
        )
        self.quarantined_failures: dict[str, QuarantineEntry] = {}
        self.expired_failures: dict[str, QuarantineEntry] = {}
        self.known: set[str] | None = None
        self.new_reruns = 0
        if opt.readiness_new_tests_from:
            self.known = _read_known(Path(opt.readiness_new_tests_from))
            default = settings.testhealth.early_flake_reruns if settings is not None else 5
            given = opt.readiness_new_reruns
            self.new_reruns = max(0, given if given is not None else default)
        if setup is not None:
            self.new_reruns = setup.new_reruns
        self.new_tests: set[str] = set()
        self.order = (
            _read_order(Path(opt.readiness_order_file)) if opt.readiness_order_file else None
        )
        self.messages: list[str] = []
        self.record = setup is None and (record or self.known is not None or self.repeat > 1)
        self.active = bool(
            self.record
            or self.quarantine
            or self.order is not None
            or self.known is not None
            or self.repeat > 1
        )

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

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: each worker gets the controller's quarantine, clock and rerun count."""
        node.workerinput[WIRE_KEY] = to_wire(self.quarantine.values(), self.now, self.new_reruns)

    # -- collection and protocol ------------------------------------------------------------

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if self.record:
            self.recorder.add_collect_report(report)

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
            if entry is not None and not entry.is_expired(self.now):
                report.user_properties.append((QUARANTINED_PROPERTY, entry.reason))
                report.outcome = "skipped"
                report.wasxfail = f"quarantined: {entry.reason}"
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Under xdist this runs in the controller for every worker's report, so the summary and
        # the report know what each worker did.
        if self.record:
            self.recorder.add_test_report(report, suite_name(report))
        if self.known is not None and report.nodeid not in self.known:
            self.new_tests.add(report.nodeid)
        entry = self.quarantine.get(report.nodeid)
        if entry is not None:
            if any(name == QUARANTINED_PROPERTY for name, _ in report.user_properties):
                self.quarantined_failures[report.nodeid] = entry
            elif report.failed:  # a failure the quarantine did not absorb: the entry expired
                self.expired_failures[report.nodeid] = entry

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # Also how pytest stops after collection errors ("Interrupted: 1 error during collection").
        message = str(excinfo.value)
        self.session_error = f"{excinfo.typename}: {message}" if message else excinfo.typename

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        self.session_error = f"INTERNALERROR\n{excrepr}"

    # -- end of session ---------------------------------------------------------------------

    def flaky_new_tests(self) -> dict[str, list[str]]:
        """New tests whose attempts disagreed (skips ignored), with their outcomes in order."""
        out: dict[str, list[str]] = {}
        for nodeid in sorted(self.new_tests):
            outcomes = self.recorder.outcomes(nodeid)
            ran = {"failed" if o == "error" else o for o in outcomes if o != "skipped"}
            if len(ran) > 1:
                out[nodeid] = outcomes
        return out

    def meta(self) -> dict[str, str | None]:
        """The run's metadata: the options given, else what the CI environment says."""
        from readiness.testhealth.ingest.ci_env import from_environment

        opt = self.config.option
        ci = from_environment(os.environ)
        return {
            "commit": opt.readiness_commit or ci.commit,
            "branch": opt.readiness_branch or ci.branch,
            "run_id": opt.readiness_run_id or ci.run_id,
            "attempt": str(ci.attempt) if ci.attempt is not None else None,
            "job": opt.readiness_job or ci.job,
            "pr": ci.pr,
            "url": ci.url,
            "provider": ci.provider,
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
        random_order = _random_order_properties(self.config.option)
        if random_order:
            # With pytest-randomly also active, both plugins shuffled: keep both seeds.
            props.setdefault("readiness.seed", random_order["readiness.random_order_seed"])
            props.update(random_order)
        if self.repeat > 1:
            props["readiness.repeat"] = str(self.repeat)
        for key, value in self.meta().items():
            if value and key in ("commit", "branch", "run_id"):
                props[f"readiness.{key}"] = value
        return props

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.flaky_new_tests() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if not self.record:
            return
        status = session.exitstatus
        if status in _BROKEN_SESSION:
            self.recorder.drop_unfinished()
            if not self.recorder.has_collection_error:
                self.recorder.add_session_error(self._session_error_reason(status))
        xml = render_junit(self.recorder.suites(), self.suite_properties(), self.now)
        opt = self.config.option
        if opt.readiness_junit:
            path = Path(opt.readiness_junit)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(xml)
            self.messages.append(f"readiness: JUnit XML with every attempt written to {path}")
        if opt.readiness_upload:
            self._upload(xml)

    def _session_error_reason(self, status: int) -> str:
        if self.session_error is not None:
            return self.session_error
        # A usage error raised while collecting (e.g. a path that does not exist) reaches no hook;
        # pytest calls pytest_sessionfinish while it propagates.
        error = sys.exc_info()[1]
        if isinstance(error, pytest.UsageError):
            return f"UsageError: {error}"
        return f"pytest exited with status {int(status)} ({pytest.ExitCode(status).name})"

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
        write_summary(
            terminalreporter,
            quarantined=self.quarantined_failures,
            expired=self.expired_failures,
            flaky_new=self.flaky_new_tests(),
            messages=self.messages,
        )


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


def _random_order_properties(option: Any) -> dict[str, str]:
    """Seed and bucket of pytest-random-order, when it reorders this session.

    It always sets both options, as ``default:<value>`` unless given; it reorders only when
    ``--random-order`` is on or one of them was given (its ``Config.is_enabled``).
    """
    seed = getattr(option, "random_order_seed", None)
    bucket = getattr(option, "random_order_bucket", None)
    if not isinstance(seed, str) or not isinstance(bucket, str):
        return {}
    given = [v for v in (seed, bucket) if not v.startswith("default:")]
    if not (getattr(option, "random_order_enabled", False) or given):
        return {}
    bucket = bucket.removeprefix("default:")
    if bucket == "none":
        return {}
    return {
        "readiness.random_order_seed": seed.removeprefix("default:"),
        "readiness.random_order_bucket": bucket,
    }
