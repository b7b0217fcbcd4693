"""The Pact broker's HAL API (``application/hal+json``), the subset real Pact clients use.

Mounted under the API prefix, the broker's base URL is ``<server>/api/v1/pact``: give that to
pact-python's ``Verifier.broker_source(url, token=...)`` or the pact-broker CLI. Reading needs a
``reader`` token, publishing pacts, verification results, branches and deployments a ``writer``
one (Bearer, or HTTP Basic with the token as password). Every link is absolute, built from the
request's own URL, so clients follow them behind any host name.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from readiness.contracts.pact.model import Pact, Selected, Selector
from readiness.contracts.pact.service import PactService
from readiness.errors import InputError, NotFoundError
from readiness.web.deps import (
    CurrentProject,
    Principal,
    get_clock,
    get_stores,
    require_reader,
    require_writer,
)
from readiness.web.errors import API_ERRORS, json_error_responses

HAL = "application/hal+json"


class HalResponse(JSONResponse):
    media_type = HAL


router = APIRouter(
    prefix="/pact",
    tags=["pact"],
    default_response_class=HalResponse,
    responses=json_error_responses(*API_ERRORS, 409),  # errors stay application/json
)
Reader = Annotated[Principal, Depends(require_reader)]
Writer = Annotated[Principal, Depends(require_writer)]
JsonObject = Annotated[dict[str, Any], Body()]


def _service(request: Request, project: CurrentProject) -> PactService:
    notify = request.app.state.settings.notify
    return PactService(get_stores(request), get_clock(request), project.name, notify=notify)


Service = Annotated[PactService, Depends(_service)]


def _base(request: Request) -> str:
    path = request.url.path
    prefix = path[: path.index("/pact") + len("/pact")]
    query = (
        f"?project={request.query_params['project']}" if "project" in request.query_params else ""
    )
    return f"{request.url.scheme}://{request.url.netloc}{prefix}" + ("{q}" if query else "")


def _link(request: Request, path: str, *, templated: bool = False, **extra: str) -> dict[str, Any]:
    base = _base(request).replace("{q}", "")
    project = request.query_params.get("project")
    href = base + path
    if project and not templated:
        href += ("&" if "?" in href else "?") + f"project={project}"
    link: dict[str, Any] = {"href": href, **extra}
    if templated:
        link["templated"] = True
    return link


@router.get("")
@router.get("/")
def index(request: Request, _who: Reader) -> dict[str, Any]:
    """The broker's index: the relations clients navigate from."""
    rels = {
        "pb:publish-contracts": ("/contracts/publish", False),
        "pb:publish-pact": (
            "/pacts/provider/{provider}/consumer/{consumer}/version/{consumerApplicationVersion}",
            True,
        ),
        "pb:provider-pacts-for-verification": (
            "/pacts/provider/{provider}/for-verification",
            True,
        ),
        "pb:latest-provider-pacts": ("/pacts/provider/{provider}/latest", True),
        "pb:pacticipant": ("/pacticipants/{pacticipant}", True),
        "pb:pacticipant-version": ("/pacticipants/{pacticipant}/versions/{version}", True),
        "pb:environments": ("/environments", False),
        "pb:environment": ("/environments/{uuid}", True),
        "pb:matrix": ("/matrix", False),
        "pb:can-i-deploy-pacticipant-version-to-environment": (
            "/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}",
            True,
        ),
        "pb:can-i-deploy-branch-to-environment": (
            "/can-i-deploy?pacticipant={pacticipant}&branch={branch}&environment={environment}",
            True,
        ),
    }
    links = {rel: _link(request, path, templated=t) for rel, (path, t) in rels.items()}
    links["self"] = _link(request, "")
    return {"name": "Readiness Pact broker", "_links": links}


def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InputError(f"the request body needs {key!r} as a non-empty string")
    return value


def _pact_links(request: Request, pact: Pact) -> dict[str, Any]:
    p, c = pact.provider, pact.consumer
    return {
        "self": _link(request, f"/pacts/provider/{p}/consumer/{c}/pact-version/{pact.sha}"),
        "pb:consumer-version": _link(
            request, f"/pacticipants/{c}/versions/{pact.consumer_version}"
        ),
        "pb:provider": _link(request, f"/pacticipants/{p}", name=p),
        "pb:consumer": _link(request, f"/pacticipants/{c}", name=c),
        "pb:publish-verification-results": _link(
            request,
            f"/pacts/provider/{p}/consumer/{c}/pact-version/{pact.sha}/verification-results",
        ),
    }


@router.post("/contracts/publish")
def publish_contracts(
    request: Request, body: JsonObject, service: Service, _who: Writer
) -> dict[str, Any]:
    """Publish a consumer version's pacts (base64 content), its branch and tags."""
    consumer = _text(body, "pacticipantName") or ""
    version = _text(body, "pacticipantVersionNumber") or ""
    branch = _text(body, "branch", required=False)
    tags = tuple(t for t in body.get("tags") or () if isinstance(t, str))
    notices: list[dict[str, str]] = []
    links: list[dict[str, Any]] = []
    contracts = body.get("contracts")
    if not isinstance(contracts, list) or not contracts:
        raise InputError("the request body needs 'contracts', a non-empty list")
    for item in contracts:
        if not isinstance(item, dict):
            raise InputError("each of 'contracts' must be an object")
        provider = _text(item, "providerName") or ""
        if item.get("consumerName", consumer) != consumer:
            raise InputError("'consumerName' must match 'pacticipantName'")
        try:
            content = json.loads(base64.b64decode(_text(item, "content") or "", validate=True))
        except (binascii.Error, ValueError) as exc:
            raise InputError("'content' must be base64 of the pact's JSON") from exc
        if not isinstance(content, dict):
            raise InputError("a pact must be a JSON object")
        done = service.publish(consumer, provider, version, content, branch=branch, tags=tags)
        verb = "published" if done.created else "was already published (same content)"
        notices.append(
            {"type": "success", "text": f"Pact for {consumer} {version} and {provider} {verb}"}
        )
        pact, _ = service.pact(provider, consumer, version)
        links.append(
            {
                **_pact_links(request, pact)["self"],
                "name": f"Pact between {consumer} ({version}) and {provider}",
            }
        )
    return {
        "notices": notices,
        "_embedded": {"pacticipant": {"name": consumer}, "version": {"number": version}},
        "_links": {
            "pb:pacticipant": _link(request, f"/pacticipants/{consumer}", name=consumer),
            "pb:pacticipant-version": _link(
                request, f"/pacticipants/{consumer}/versions/{version}", name=version
            ),
            "pb:contracts": links,
        },
    }


@router.put("/pacts/provider/{provider}/consumer/{consumer}/version/{version}")
def put_pact(
    request: Request,
    *,
    provider: str,
    consumer: str,
    version: str,
    body: JsonObject,
    service: Service,
    _who: Writer,
) -> dict[str, Any]:
    """Legacy publishing; a changed pact for an existing version is a 409 with the diff."""
    service.publish(consumer, provider, version, body)
    pact, content = service.pact(provider, consumer, version)
    return {**content, "_links": _pact_links(request, pact)}


@router.get("/pacts/provider/{provider}/consumer/{consumer}/version/{version}")
def get_pact(
    request: Request, provider: str, consumer: str, version: str, service: Service, _who: Reader
) -> dict[str, Any]:
    pact, content = service.pact(provider, consumer, version)
    return {**content, "_links": _pact_links(request, pact)}


@router.get("/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}")
def get_pact_version(
    request: Request, provider: str, consumer: str, sha: str, service: Service, _who: Reader
) -> dict[str, Any]:
    pact, content = service.pact_by_sha(provider, consumer, sha)
    return {**content, "_links": _pact_links(request, pact)}


def _since(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError("'includeWipPactsSince' must be an ISO 8601 date") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _selected(request: Request, item: Selected) -> dict[str, Any]:
    pact = item.pact
    return {
        "shortDescription": f"{'WIP: ' if item.wip else ''}{' / '.join(item.reasons)}",
        "verificationProperties": {
            "pending": item.pending,
            **({"wip": True} if item.wip else {}),
            "notices": list(item.notices),
        },
        "_links": {
            "self": {
                **_pact_links(request, pact)["self"],
                "name": f"Pact between {pact.consumer} ({pact.consumer_version}) and "
                f"{pact.provider}",
            }
        },
    }


@router.get("/pacts/provider/{provider}/for-verification")
def for_verification_resource(request: Request, provider: str, _who: Reader) -> dict[str, Any]:
    """What clients navigate to before they POST their selectors to its ``self`` link."""
    path = f"/pacts/provider/{provider}/for-verification"
    return {"_links": {"self": _link(request, path)}}


@router.post("/pacts/provider/{provider}/for-verification")
def pacts_for_verification(
    request: Request, provider: str, body: JsonObject, service: Service, _who: Reader
) -> dict[str, Any]:
    """The pacts a provider build verifies, chosen by consumer version selectors."""
    raw = body.get("consumerVersionSelectors") or []
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise InputError("'consumerVersionSelectors' must be a list of objects")
    rule = body.get("pendingRule", "main")
    if rule not in {"main", "branch"}:
        raise InputError("'pendingRule' must be 'main' or 'branch'")
    found = service.for_verification(
        provider,
        [Selector.from_json(s) for s in raw],
        provider_branch=_text(body, "providerVersionBranch", required=False),
        include_pending=body.get("includePendingStatus") is True,
        wip_since=_since(body.get("includeWipPactsSince")),
        rule=rule,
    )
    return {
        "_embedded": {"pacts": [_selected(request, s) for s in found]},
        "_links": {"self": _link(request, f"/pacts/provider/{provider}/for-verification")},
    }


@router.post(
    "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results"
)
def publish_verification(
    request: Request,
    *,
    provider: str,
    consumer: str,
    sha: str,
    body: JsonObject,
    service: Service,
    _who: Writer,
) -> dict[str, Any]:
    """A provider version's verification result of one pact content."""
    version = _text(body, "providerApplicationVersion") or ""
    success = body.get("success")
    if not isinstance(success, bool):
        raise InputError("the request body needs 'success' (true or false)")
    pact, _ = service.pact_by_sha(provider, consumer, sha)
    ident = service.verify(pact, version, success, body)
    return {
        "success": success,
        "providerApplicationVersion": version,
        "_links": {"self": _link(request, f"/verification-results/{ident}")},
    }


@router.get("/pacticipants/{name}")
def pacticipant(request: Request, name: str, _who: Reader) -> dict[str, Any]:
    return {
        "name": name,
        "_links": {
            "self": _link(request, f"/pacticipants/{name}"),
            "pb:branch-version": _link(
                request,
                f"/pacticipants/{name}/branches/{{branch}}/versions/{{version}}",
                templated=True,
            ),
            "pb:version-tag": _link(
                request, f"/pacticipants/{name}/versions/{{version}}/tags/{{tag}}", templated=True
            ),
        },
    }


@router.get("/pacts/provider/{provider}/latest")
def latest_pacts(request: Request, provider: str, service: Service, _who: Reader) -> dict[str, Any]:
    """The latest pact of each consumer of ``provider``."""
    found = service.for_verification(provider, [])
    pacts = [
        {"name": s.pact.consumer, "href": _pact_links(request, s.pact)["self"]["href"]}
        for s in found
    ]
    return {
        "_links": {"self": _link(request, f"/pacts/provider/{provider}/latest"), "pb:pacts": pacts}
    }


@router.get("/pacticipants/{name}/versions/{version}")
def pacticipant_version(
    request: Request, name: str, version: str, service: Service, _who: Reader
) -> dict[str, Any]:
    found = service.snapshot().version(name, version)
    if found is None:
        raise NotFoundError(f"no version {version} of {name} is known to the broker")
    return {
        "number": found.number,
        "branches": list(found.branches),
        "tags": list(found.tags),
        "_links": {"self": _link(request, f"/pacticipants/{name}/versions/{version}")},
    }


@router.put("/pacticipants/{name}/branches/{branch}/versions/{version}")
def branch_version(
    request: Request, name: str, branch: str, version: str, service: Service, _who: Writer
) -> dict[str, Any]:
    service.branch_version(name, branch, version)
    return {
        "name": branch,
        "_links": {"self": _link(request, request.url.path.split("/pact", 1)[1])},
    }


@router.put("/pacticipants/{name}/versions/{version}/tags/{tag}")
def tag_version(
    name: str, version: str, tag: str, service: Service, _who: Writer
) -> dict[str, Any]:
    service.tag_version(name, version, tag)
    return {"name": tag}


@router.patch("/pacticipants/{name}")
def update_pacticipant(
    name: str, body: JsonObject, service: Service, _who: Writer
) -> dict[str, Any]:
    """Set the pacticipant's ``mainBranch`` (what the ``mainBranch`` selector and pending use)."""
    branch = _text(body, "mainBranch") or ""
    service.set_main_branch(name, branch)
    return {"name": name, "mainBranch": branch}
