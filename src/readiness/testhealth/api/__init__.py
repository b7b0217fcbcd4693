"""testhealth over HTTP: the JSON API under ``/api/v1/tests`` (the plugin mounts ``api_router()``).

The dashboard pages (:mod:`.pages`) reuse this module's service dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, BinaryIO, Literal, Protocol

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from readiness._common.canonical import jsonable_dict, to_jsonable
from readiness.errors import InputError
from readiness.testhealth import lists
from readiness.testhealth.annotations import ISSUE_LENGTH, OWNER_LENGTH
from readiness.testhealth.api.listing import (
    MAX_LIMIT,
    TOTAL_HEADER,
    TOTAL_RESPONSE,
    FlakyFilters,
    flaky_list,
)
from readiness.testhealth.api.uploads import RUNS_BODY, read_form, spool_body, uploads
from readiness.testhealth.checks import RunFailures
from readiness.testhealth.detection.impact import TestImpact
from readiness.testhealth.detection.model import Cluster, SuiteHealth
from readiness.testhealth.impact import TestTriage
from readiness.testhealth.model import (
    MAX_ATTEMPT,
    MAX_SOURCE_LENGTH,
    META_MAX_LENGTH,
    FailingOrder,
    FixVerification,
    IngestResult,
    QuarantineEntry,
    RunMeta,
    TestAnnotation,
    TestHealth,
    TestHints,
)
from readiness.testhealth.store.listing import RunQuery
from readiness.testhealth.store.runs import RunDetail, RunRow
from readiness.testhealth.views import (
    annotation_view,
    failing_order_view,
    fix_view,
    flaky_entry_view,
    health_view,
    impact_view,
    ingest_view,
    quarantine_view,
    run_detail_view,
    signals_view,
)
from readiness.web.deps import (
    CurrentProject,
    Principal,
    get_clock,
    get_settings,
    get_stores,
    require_reader,
    require_writer,
)
from readiness.web.inputs import INT32_MAX, Int32, JsonBody, Line, Moment, Text

MAX_TAGS = 50
SORT_KEYS = f"One of {', '.join(lists.FLAKY.sortable_keys)}."
STORED_ID_LENGTH = 2000  # th_quarantine.test_key, th_fix_verifications.test_key
# Test ids are looked up up to this length: longer ids than the column holds are stored under a
# hashed key (ingest.writer), so a lookup may be longer than any stored value.
LOOKUP_ID_LENGTH = 65_536

# th_runs.run_key holds 64 characters; longer keys are looked up (and not found) all the same.
RunKey = Annotated[Line, Path(max_length=200, description="A run's key, as the runs list gives.")]
TestId = Annotated[Text, Path(max_length=LOOKUP_ID_LENGTH, description="A test id, as reported.")]
Commit = Annotated[
    Line | None, Query(max_length=META_MAX_LENGTH["commit"], description="A commit SHA.")
]


def _meta(name: str, description: str) -> Any:
    return Query(max_length=META_MAX_LENGTH[name], description=description)


class TestHealthAPI(Protocol):
    """What the server needs of ``readiness.testhealth.service.TestHealthService``."""

    def ingest_bytes(
        self, data: bytes | BinaryIO, *, source: str, meta: RunMeta
    ) -> IngestResult: ...
    def ingest_many(
        self, items: Sequence[tuple[BinaryIO, str]], *, meta: RunMeta
    ) -> list[IngestResult]: ...
    def health(self, *, test_id: str | None = None) -> list[TestHealth]: ...
    def health_at(self, commit: str) -> list[TestHealth]: ...
    def flaky(self) -> list[TestHealth]: ...
    def flaky_impact(self, *, sort: str = "impact") -> list[tuple[TestHealth, TestImpact]]: ...
    def impacts(self, test_ids: Iterable[str]) -> dict[str, TestImpact]: ...
    def triage(self, test_id: str) -> TestTriage: ...
    def test_history(self, test_id: str, *, limit: int = 100) -> list[dict[str, Any]]: ...
    def failing_orders(self, test_id: str, *, limit: int = 5) -> list[FailingOrder]: ...
    def clusters(self) -> Sequence[Cluster]: ...
    def suite_health(self) -> SuiteHealth: ...
    def runs(self, *, limit: int = 50) -> Sequence[Any]: ...
    def run_detail(self, run_key: str) -> RunDetail: ...
    def runs_page(self, query: RunQuery) -> tuple[list[RunRow], int]: ...
    def branches(self) -> list[str]: ...
    def failed_on_branch(self, branch: str, *, since: datetime | None = None) -> set[str]: ...
    def owners(self, test_ids: Iterable[str]) -> dict[str, str | None]: ...
    def quarantine_entries(self) -> list[QuarantineEntry]: ...
    def quarantine_add(
        self,
        test_id: str,
        *,
        reason: str,
        owner: str | None = None,
        issue: str | None = None,
        expires: datetime | None = None,
        allow_unknown: bool = False,
    ) -> QuarantineEntry: ...
    def quarantine_remove(self, test_id: str, *, reason: str) -> None: ...
    def annotation(self, test_id: str) -> TestAnnotation | None: ...
    def set_owner(self, test_id: str, owner: str) -> TestAnnotation: ...
    def link_issue(self, test_id: str, issue: str) -> TestAnnotation: ...
    def hints_for_tests(self, test_ids: Iterable[str]) -> dict[str, TestHints]: ...
    def record_fix_verification(self, outcome: FixVerification) -> FixVerification: ...
    def latest_run_failures(self, commit: str | None) -> RunFailures | None: ...


def _health(service: TestHealthAPI, test_id: str | None, commit: str | None) -> list[TestHealth]:
    if commit is None:
        return service.health(test_id=test_id)
    if test_id is not None:
        raise InputError(
            f"give test_id or commit, not both (got test_id={test_id!r} and commit={commit!r}); "
            "drop one of them"
        )
    return service.health_at(commit)


def _service(request: Request, actor: str, project: str) -> TestHealthAPI:
    from readiness.testhealth.service import TestHealthService

    service: TestHealthAPI = TestHealthService(
        settings=get_settings(request),
        stores=get_stores(request),
        clock=get_clock(request),
        actor=actor,
        quarantine_backend="db",  # the server has no repository for the reviewed file
        project=project,
    )
    return service


def reader_service(
    request: Request, who: Annotated[Principal, Depends(require_reader)], project: CurrentProject
) -> TestHealthAPI:
    """The service for a reader, on the request's project (tests override it with a fake)."""
    return _service(request, who.actor, project.name)


def writer_service(
    request: Request, who: Annotated[Principal, Depends(require_writer)], project: CurrentProject
) -> TestHealthAPI:
    """The service for a writer; its actions are audited under the token's name."""
    return _service(request, who.actor, project.name)


Reader = Annotated[TestHealthAPI, Depends(reader_service)]
Writer = Annotated[TestHealthAPI, Depends(writer_service)]


def parse_tags(tags: list[str]) -> dict[str, str]:
    """``["k:v", ...]`` as a dict; a tag without a colon is an InputError."""
    out: dict[str, str] = {}
    for tag in tags:
        key, sep, value = tag.partition(":")
        if not sep or not key:
            raise InputError(
                f"tag {tag!r} is not key:value; write e.g. tag=python:3.11",
                details={"field": "tag", "got": tag},
            )
        out[key] = value
    return out


class FixVerificationRequest(JsonBody):
    """Body of ``POST /api/v1/tests/fix-verifications`` (what ``verify-fix`` measured)."""

    test_id: Text = Field(min_length=1, max_length=STORED_ID_LENGTH)
    flake_rate: float = Field(ge=0, le=1, allow_inf_nan=False)
    alpha: float = Field(gt=0, lt=1, allow_inf_nan=False)
    required_runs: Int32 = Field(ge=1)
    runs: Int32 = Field(ge=0)
    failures: Int32 = Field(ge=0)
    verdict: Literal["fixed", "still-flaky"]
    # experiment name -> what the test did there, e.g. {"failing-order-1": "passed 1 of 1"}
    experiments: dict[
        Annotated[Line, Field(max_length=200)], Annotated[Text, Field(max_length=2000)]
    ] = Field(default_factory=dict, max_length=100)


class QuarantineRequest(JsonBody):
    """Body of ``POST /api/v1/tests/quarantine``."""

    test_id: Text = Field(min_length=1, max_length=STORED_ID_LENGTH)
    reason: Text = Field(min_length=1, max_length=2000)
    owner: Annotated[Line, Field(max_length=200)] | None = None
    issue: Annotated[Line, Field(max_length=1000)] | None = None
    expires: Moment | None = Field(default=None, strict=False)
    allow_unknown: bool = Field(
        default=False,
        description="Quarantine a test id no ingested run has shown (default: refused, 404).",
    )


def _failing_orders(
    service: Reader, test_id: TestId, limit: Annotated[int, Query(ge=1, le=50)] = 5
) -> list[dict[str, Any]]:
    """The orders ``test_id`` ran in when it failed (newest first): the tests before it in
    its own process, or ``before: null`` with the run's seed when none was stored."""
    return [failing_order_view(o) for o in service.failing_orders(test_id, limit=limit)]


def _run_detail(request: Request, service: Reader, run_key: RunKey) -> dict[str, Any]:
    """One run: its CI, commit and pull-request links, its failures with their messages, and
    each failing test's runs around it (newest first)."""
    return run_detail_view(service.run_detail(run_key), get_settings(request).links)


class OwnerRequest(JsonBody):
    """Body of ``PUT /api/v1/tests/tests/{test_id}/owner``."""

    owner: Annotated[Line, Field(min_length=1, max_length=OWNER_LENGTH)] = Field(
        description="The owner: a team (@payments), a person or an address."
    )


class IssueRequest(JsonBody):
    """Body of ``PUT /api/v1/tests/tests/{test_id}/issue``."""

    issue: Annotated[Line, Field(min_length=1, max_length=ISSUE_LENGTH)] = Field(
        description="An http(s) URL or an issue key (PAY-123); other schemes are refused."
    )


def _annotation(service: Reader, test_id: TestId) -> dict[str, Any]:
    """The owner and issue of a test (nulls when never set)."""
    return annotation_view(test_id, service.annotation(test_id))


def _set_owner(service: Writer, test_id: TestId, body: OwnerRequest) -> dict[str, Any]:
    """Set or change a test's owner (audited as ``tests.owner.set``)."""
    return annotation_view(test_id, service.set_owner(test_id, body.owner))


def _link_issue(service: Writer, test_id: TestId, body: IssueRequest) -> dict[str, Any]:
    """Link the issue tracking a test's fix (audited as ``tests.issue.linked``)."""
    return annotation_view(test_id, service.link_issue(test_id, body.issue))


def _flaky(
    request: Request,
    response: Response,
    service: Reader,
    *,
    filters: FlakyFilters,
    sort: Annotated[Line | None, Query(max_length=40, description=SORT_KEYS)] = None,
    direction: Annotated[Line | None, Query(alias="dir", max_length=4)] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT)] = None,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> list[dict[str, Any]]:
    """The tests needing attention, worst first; or those the filters choose, sorted
    (``X-Total-Count``: how many match)."""
    view = lists.FLAKY.view(sort=lists.sort_key(sort), direction=direction, filters=filters)
    found = flaky_list(service, view, get_clock(request).now()).rows
    response.headers[TOTAL_HEADER] = str(len(found))
    end = None if limit is None else offset + limit
    return [
        flaky_entry_view(r.test, r.impact or TestImpact(r.test.test_id)) for r in found[offset:end]
    ]


def _signals(service: Reader, test_id: TestId) -> dict[str, Any]:
    """One test's impact and whether it looks like a flaky system or a flaky test, with each
    signal behind the hint (failure kind, spread, load, source) explained."""
    found = service.triage(test_id)
    return {
        "test_id": found.signals.test_id,
        "impact": impact_view(found.impact),
        **signals_view(found.signals),
    }


def _with_experiment_routes(router: APIRouter) -> APIRouter:
    """Adds what ``tests classify`` and ``tests verify-fix`` read through a server, the
    per-run drill-down, and a test's owner and issue."""
    router.add_api_route("/tests/{test_id:path}/annotation", _annotation, methods=["GET"])
    router.add_api_route("/tests/{test_id:path}/owner", _set_owner, methods=["PUT"])
    router.add_api_route("/tests/{test_id:path}/issue", _link_issue, methods=["PUT"])
    router.add_api_route("/tests/{test_id:path}/failing-orders", _failing_orders, methods=["GET"])
    router.add_api_route("/runs/{run_key}", _run_detail, methods=["GET"])
    router.add_api_route("/tests/{test_id:path}/signals", _signals, methods=["GET"])
    return router


def api_router() -> APIRouter:
    """The ``/tests`` API router (mounted under ``/api/v1``)."""
    router = APIRouter(prefix="/tests", tags=["tests"])

    @router.post("/runs", openapi_extra={"requestBody": RUNS_BODY})
    async def ingest(
        request: Request,
        service: Writer,
        *,
        commit: Commit = None,
        branch: Annotated[Line | None, _meta("branch", "The branch the run tested.")] = None,
        run_id: Annotated[Line | None, _meta("run_id", "The CI run's id.")] = None,
        attempt: Annotated[
            int, Query(ge=1, le=MAX_ATTEMPT, description="The CI attempt (retries count up).")
        ] = 1,
        job: Annotated[Line | None, _meta("job", "The CI job's name.")] = None,
        tree: Annotated[Line | None, _meta("tree", "The tree SHA.")] = None,
        timestamp: Annotated[Moment | None, Query(description="When the run started.")] = None,
        seed: Annotated[Line | None, _meta("seed", "The random seed of the run.")] = None,
        pr: Annotated[Line | None, _meta("pr", "The pull request number.")] = None,
        url: Annotated[Line | None, _meta("url", "The CI page of the run.")] = None,
        provider: Annotated[Line | None, _meta("provider", "The CI service.")] = None,
        source: Annotated[
            Line,
            Query(
                min_length=1,
                max_length=MAX_SOURCE_LENGTH,
                description="The report's name, for a raw XML body.",
            ),
        ] = "upload.xml",
        tag: Annotated[
            list[Annotated[Line, Field(max_length=200)]] | None,
            Query(max_length=MAX_TAGS, description="key:value, repeatable."),
        ] = None,
    ) -> list[dict[str, Any]]:
        """Ingest JUnit XML: a raw XML body, or multipart with one or more ``file`` parts.

        Several parts are one transaction: every report is stored, or none (the error names
        each invalid part).
        """
        meta = RunMeta(
            commit=commit,
            branch=branch,
            run_id=run_id,
            attempt=attempt,
            job=job,
            tree=tree,
            timestamp=timestamp,
            seed=seed,
            tags=parse_tags(tag or []),
            pr=pr,
            url=url,
            provider=provider,
        )
        ctype = request.headers.get("content-type", "")
        results: list[IngestResult] = []
        if ctype.startswith("multipart/form-data"):
            form = await read_form(request)
            try:
                items = uploads(form.multi_items(), source)
                results = await run_in_threadpool(service.ingest_many, items, meta=meta)
            finally:
                await form.close()
        else:
            body = await spool_body(request)
            try:
                results.append(
                    await run_in_threadpool(service.ingest_bytes, body, source=source, meta=meta)
                )
            finally:
                body.close()
        return [ingest_view(r) for r in results]

    router.add_api_route("/flaky", _flaky, methods=["GET"], responses=TOTAL_RESPONSE)

    @router.get("/health")
    def health(
        service: Reader,
        test_id: Annotated[Text | None, Query(max_length=LOOKUP_ID_LENGTH)] = None,
        commit: Commit = None,
    ) -> list[dict[str, Any]]:
        """Every known test with its status (or one test).

        ``commit`` judges the history up to the newest run of that commit (what the merge
        gate reads); the list is empty when no run of it is recorded.
        """
        return [health_view(h) for h in _health(service, test_id, commit)]

    @router.get("/tests/{test_id:path}/history")
    def history(
        service: Reader, test_id: TestId, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> list[dict[str, Any]]:
        """One entry per run of ``test_id``, newest first."""
        result: list[dict[str, Any]] = to_jsonable(service.test_history(test_id, limit=limit))
        return result

    @router.get("/clusters")
    def clusters(service: Reader) -> list[dict[str, Any]]:
        """Tests that fail together (infrastructure or shared cause)."""
        return [to_jsonable(asdict(c)) for c in service.clusters()]

    @router.get("/suite-health")
    def suite_health(service: Reader) -> dict[str, Any]:
        """The five suite metrics and their trends."""
        result: dict[str, Any] = to_jsonable(asdict(service.suite_health()))
        return result

    @router.get("/runs")
    def runs(
        service: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 50
    ) -> list[dict[str, Any]]:
        """Recent runs."""
        return [to_jsonable(asdict(r)) for r in service.runs(limit=limit)]

    @router.get("/quarantine")
    def quarantine(service: Reader) -> list[dict[str, Any]]:
        """Quarantined tests."""
        return [quarantine_view(e) for e in service.quarantine_entries()]

    @router.post("/quarantine", status_code=201)
    def quarantine_add(service: Writer, body: QuarantineRequest) -> dict[str, Any]:
        """Quarantine a test: it keeps running but no longer blocks."""
        entry = service.quarantine_add(
            body.test_id,
            reason=body.reason,
            owner=body.owner,
            issue=body.issue,
            expires=body.expires,
            allow_unknown=body.allow_unknown,
        )
        return quarantine_view(entry)

    @router.post("/fix-verifications", status_code=201)
    def fix_verification(service: Writer, body: FixVerificationRequest) -> dict[str, Any]:
        """Record a fix verification run by ``readiness tests verify-fix`` in a checkout."""
        outcome = FixVerification(**body.model_dump())
        return fix_view(service.record_fix_verification(outcome))

    @router.get("/gate/latest-run")
    def gate_latest_run(service: Reader, commit: Commit = None) -> dict[str, Any] | None:
        """What the merge gate's ``tests.passed`` reads: the latest run's final outcomes."""
        found = service.latest_run_failures(commit)
        return None if found is None else jsonable_dict(asdict(found))

    @router.delete("/quarantine/{test_id:path}")
    def quarantine_remove(
        service: Writer,
        test_id: TestId,
        reason: Annotated[Text, Query(min_length=1, max_length=2000)],
    ) -> dict[str, Any]:
        """Take a test out of quarantine."""
        service.quarantine_remove(test_id, reason=reason)
        return {"test_id": test_id, "removed": True}

    return _with_experiment_routes(router)
