"""``/api/v1/tests/tests/{test_id}/owner|issue|annotation``: who owns a test, which issue
tracks it (the dashboard's and ``readiness tests owner|link``'s server side)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from readiness.testhealth.annotations import ISSUE_LENGTH, OWNER_LENGTH
from readiness.testhealth.api import Reader, TestId, Writer
from readiness.testhealth.views import annotation_view
from readiness.web.inputs import JsonBody, Line


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


def annotation(service: Reader, test_id: TestId) -> dict[str, Any]:
    """The owner and issue of a test (nulls when never set)."""
    return annotation_view(test_id, service.annotation(test_id))


def set_owner(service: Writer, test_id: TestId, body: OwnerRequest) -> dict[str, Any]:
    """Set or change a test's owner (audited as ``tests.owner.set``)."""
    return annotation_view(test_id, service.set_owner(test_id, body.owner))


def link_issue(service: Writer, test_id: TestId, body: IssueRequest) -> dict[str, Any]:
    """Link the issue tracking a test's fix (audited as ``tests.issue.linked``)."""
    return annotation_view(test_id, service.link_issue(test_id, body.issue))


def add_annotation_routes(router: APIRouter) -> APIRouter:
    """The owner and issue routes on the ``/tests`` API router."""
    router.add_api_route("/tests/{test_id:path}/annotation", annotation, methods=["GET"])
    router.add_api_route("/tests/{test_id:path}/owner", set_owner, methods=["PUT"])
    router.add_api_route("/tests/{test_id:path}/issue", link_issue, methods=["PUT"])
    return router
