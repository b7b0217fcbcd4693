"""The broker's deployment side (HAL): environments, record-deployment/record-release and their
undoing, ``/matrix`` and ``/can-i-deploy``. Mounted by :func:`api_broker.api_router`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from readiness.contracts.api_pact import (
    HalResponse,
    JsonObject,
    Reader,
    Service,
    Writer,
    _link,
    _text,
)
from readiness.contracts.pact.evidence import evidence_json
from readiness.contracts.pact.matrix import decision_json, parse_selectors
from readiness.errors import InputError, NotFoundError
from readiness.web.errors import API_ERRORS, json_error_responses

router = APIRouter(
    prefix="/pact",
    tags=["pact"],
    default_response_class=HalResponse,
    responses=json_error_responses(*API_ERRORS, 409),  # errors stay application/json
)


def _environment(request: Request, env: dict[str, Any]) -> dict[str, Any]:
    return {
        "uuid": env["uuid"],
        "name": env["name"],
        "production": bool(env["production"]),
        "_links": {"self": _link(request, f"/environments/{env['uuid']}")},
    }


@router.post("/environments")
def create_environment(
    request: Request, body: JsonObject, service: Service, _who: Writer
) -> dict[str, Any]:
    name = _text(body, "name") or ""
    service.create_environment(name, production=body.get("production") is True)
    env = next(e for e in service.environments() if e["name"] == name)
    return _environment(request, env)


@router.get("/environments")
def list_environments(request: Request, service: Service, _who: Reader) -> dict[str, Any]:
    envs = [_environment(request, e) for e in service.environments()]
    return {
        "_embedded": {"environments": envs},
        "_links": {"self": _link(request, "/environments")},
    }


@router.get("/environments/{uuid}")
def get_environment(request: Request, uuid: str, service: Service, _who: Reader) -> dict[str, Any]:
    for env in service.environments():
        if env["uuid"] == uuid:
            return _environment(request, env)
    raise NotFoundError(f"no environment with uuid {uuid}")


def _env_name(service: Any, uuid: str) -> str:
    for env in service.environments():
        if env["uuid"] == uuid:
            return str(env["name"])
    raise NotFoundError(f"no environment with uuid {uuid}")


@router.post("/pacticipants/{name}/versions/{version}/deployed-versions/environment/{uuid}")
def record_deployment(
    name: str, version: str, uuid: str, body: JsonObject, service: Service, _who: Writer
) -> dict[str, Any]:
    target = _text(body, "applicationInstance", required=False)
    ident = service.record(
        name, version, _env_name(service, uuid), kind="deployment", target=target
    )
    return {"uuid": ident, "currentlyDeployed": True}


@router.post("/pacticipants/{name}/versions/{version}/released-versions/environment/{uuid}")
def record_release(
    name: str, version: str, uuid: str, service: Service, _who: Writer
) -> dict[str, Any]:
    ident = service.record(name, version, _env_name(service, uuid), kind="release")
    return {"uuid": ident, "currentlySupported": True}


@router.delete("/pacticipants/{name}/versions/{version}/deployed-versions/environment/{uuid}")
def record_undeployment(
    name: str, version: str, uuid: str, service: Service, _who: Writer
) -> dict[str, Any]:
    ended = service.undo(name, version, _env_name(service, uuid), kind="deployment")
    return {"ended": ended, "currentlyDeployed": False}


@router.delete("/pacticipants/{name}/versions/{version}/released-versions/environment/{uuid}")
def record_support_ended(
    name: str, version: str, uuid: str, service: Service, _who: Writer
) -> dict[str, Any]:
    ended = service.undo(name, version, _env_name(service, uuid), kind="release")
    return {"ended": ended, "currentlySupported": False}


@router.get("/pacticipants/{name}/versions/{version}/verification-evidence")
def verification_evidence(
    request: Request, name: str, version: str, service: Service, _who: Reader
) -> dict[str, Any]:
    """What ``version`` of the provider ``name`` verified of the pacts it had to: the consumers'
    main branches and what is deployed or released (else each consumer's latest pact), each
    ``verified``, ``failed`` or ``unverified`` and whether it is pending. The merge gate's
    ``contracts.verified`` reads it when it runs against a server (``READINESS_URL``)."""
    out = evidence_json(name, version, service.evidence(name, version))
    path = f"/pacticipants/{name}/versions/{version}/verification-evidence"
    out["_links"] = {"self": _link(request, path)}
    return out


@router.get("/can-i-deploy")
def can_i_deploy(
    request: Request,
    *,
    service: Service,
    _who: Reader,
    pacticipant: Annotated[str, Query(max_length=200)],
    environment: Annotated[str, Query(max_length=200)],
    version: Annotated[str | None, Query(max_length=200)] = None,
    branch: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Whether a version (or the latest of a branch) may be deployed to an environment."""
    if (version is None) == (branch is None):
        raise InputError("give exactly one of 'version' and 'branch'")
    if branch is not None:
        version = service.latest_on_branch(pacticipant, branch)
        if version is None:
            raise NotFoundError(f"no version of {pacticipant} on branch {branch!r}")
    assert version is not None
    out = decision_json(service.can_i_deploy(pacticipant, version, environment))
    out["_links"] = {"self": _link(request, "/can-i-deploy")}
    return out


@router.post("/can-i-deploy/environment")
def can_deploy_together(
    request: Request, body: JsonObject, service: Service, _who: Reader
) -> dict[str, Any]:
    """Several versions deployed to an environment at once (``versions``: a list of
    ``{"pacticipant", "version"}``; empty: is the environment consistent as it is)."""
    environment = _text(body, "environment") or ""
    raw = body.get("versions") or []
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise InputError("'versions' must be a list of {pacticipant, version} objects")
    versions = [(_text(v, "pacticipant") or "", _text(v, "version") or "") for v in raw]
    out = decision_json(service.can_deploy_together(versions, environment))
    out["_links"] = {"self": _link(request, "/can-i-deploy/environment")}
    return out


@router.get("/matrix")
def matrix(
    request: Request,
    service: Service,
    _who: Reader,
    latestby: Annotated[str | None, Query(max_length=10)] = None,
    environment: Annotated[str | None, Query(max_length=200)] = None,
    # Declared for the OpenAPI document and as repeatable; read in order by parse_selectors.
    _pacticipant: Annotated[list[str] | None, Query(alias="q[][pacticipant]")] = None,
    _version: Annotated[list[str] | None, Query(alias="q[][version]")] = None,
    _branch: Annotated[list[str] | None, Query(alias="q[][branch]")] = None,
    _tag: Annotated[list[str] | None, Query(alias="q[][tag]")] = None,
    _latest: Annotated[list[str] | None, Query(alias="q[][latest]")] = None,
) -> dict[str, Any]:
    """The matrix between the versions the ``q[]`` selectors name, in their order: each
    ``q[][pacticipant]`` followed by ``q[][version]``, ``q[][branch]``, ``q[][tag]`` or
    ``q[][latest]=true``; ``latestby=cvp|cvpv``. With ``environment`` and one selector naming a
    version: that version's matrix against the environment (as can-i-deploy)."""
    selectors = parse_selectors(request.query_params.multi_items())
    one = selectors[0]
    if environment is not None:
        if len(selectors) != 1 or one.version is None:
            raise InputError("with 'environment', give one selector with q[][version]")
        decision = service.can_i_deploy(one.pacticipant, one.version, environment)
    else:
        decision = service.matrix(selectors, latestby)
    out = decision_json(decision)
    out["_links"] = {"self": _link(request, "/matrix")}
    return out
