"""The schema registry's Confluent-compatible REST subset (under ``/api/v1/schema-registry``),
so ``confluent_kafka.schema_registry.SchemaRegistryClient`` works unchanged.

Requests may be sent as ``application/vnd.schemaregistry.v1+json``; answers are JSON
(``application/json``, which Confluent clients accept and the OpenAPI document declares).
Errors carry Confluent's ``error_code`` and ``message`` next to the one error shape
(``{"error": {...}}``): 40401 subject, 40402 version, 40403 schema not found, 409 incompatible,
42201 invalid schema, 42203 invalid compatibility level, 401/403 authentication; deletes answer
40404/40405 (subject soft deleted / not soft deleted first), 40406/40407 (the same for a version)
and 42206 (a version another live schema references). Clients send a
platform token as ``Bearer`` or as the password of HTTP Basic; reading needs the reader role,
registering and configuring the writer role.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from readiness.contracts.schemas.service import SchemaRegistry
from readiness.contracts.schemas.store.registry import Reference, Version
from readiness.errors import (
    AuthError,
    ContractsError,
    InputError,
    PermissionDeniedError,
    ReadinessError,
    SchemaInvalidError,
)
from readiness.web.deps import (
    CurrentProject,
    Principal,
    get_clock,
    get_stores,
    require_reader,
    require_writer,
)
from readiness.web.errors import error_body

MEDIA_TYPE = "application/json"  # requests may also be application/vnd.schemaregistry.v1+json


def _registry_code(exc: ReadinessError) -> int:
    if isinstance(exc, ContractsError):
        return exc.registry_code
    if isinstance(exc, PermissionDeniedError):
        return 40301
    if isinstance(exc, AuthError):
        return 40101
    if isinstance(exc, InputError):
        return 42203 if "compatibility" in exc.message else 42201
    return exc.http_status * 100 + 1


class _RegistryRoute(APIRoute):
    """Answers errors in Confluent's shape (plus the one error shape) and in its media type."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ReadinessError as exc:
                status = exc.http_status
                if isinstance(exc, InputError) and not isinstance(exc, ContractsError):
                    status = 422
                return _error(status, _registry_code(exc), exc.code, exc.message, exc.details)
            except RequestValidationError as exc:
                return _error(422, 42201, "invalid_input", f"invalid request: {exc.errors()}", {})

        return route


def _error(status: int, code: int, name: str, message: str, details: dict[str, Any]) -> Response:
    body = {"error_code": code, "message": message, **error_body(name, message, details)}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


router = APIRouter(prefix="/schema-registry", tags=["schema-registry"], route_class=_RegistryRoute)
Reader = Annotated[Principal, Depends(require_reader)]
Writer = Annotated[Principal, Depends(require_writer)]


def _registry(request: Request, project: CurrentProject, principal: Principal) -> SchemaRegistry:
    return SchemaRegistry(
        get_stores(request), get_clock(request), project.name, actor=principal.actor
    )


def _ok(data: Any) -> Response:
    return JSONResponse(data, media_type=MEDIA_TYPE)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, RecursionError):
        raise InputError("the request body is not JSON (or nested too deeply)") from None
    if not isinstance(data, dict):
        raise InputError("the request body is a JSON object")
    return data


async def _schema_of(request: Request) -> tuple[str, str | None]:
    schema, kind, _ = await _schema_and_references(request)
    return schema, kind


async def _schema_and_references(request: Request) -> tuple[str, str | None, list[Reference]]:
    data = await _body(request)
    schema = data.get("schema")
    if not isinstance(schema, str):
        raise InputError("the body needs 'schema': the schema as a string")
    kind = data.get("schemaType")
    return schema, kind if isinstance(kind, str) else None, _references(data.get("references"))


def _references(value: Any) -> list[Reference]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 100:
        raise SchemaInvalidError("'references' is a list of at most 100 {name, subject, version}")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise SchemaInvalidError("a reference is an object {name, subject, version}")
        name, subject, version = item.get("name"), item.get("subject"), item.get("version")
        if (
            not isinstance(name, str)
            or not isinstance(subject, str)
            or not name
            or not subject
            or len(name) > 500
            or len(subject) > 255
            or isinstance(version, bool)
            or not isinstance(version, int)
        ):
            raise SchemaInvalidError(
                "a reference needs 'name' and 'subject' (strings) and 'version' (an integer)"
            )
        out.append(Reference(name, subject, version))
    return out


def _version_body(item: Version, registry: SchemaRegistry | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": item.subject,
        "version": item.version,
        "id": item.schema.id,
        "schemaType": item.schema.schema_type,
        "schema": item.schema.text,
    }
    refs = registry.references(item.schema.id) if registry is not None else []
    if refs:
        body["references"] = [r.as_dict() for r in refs]
    return body


def _deleted(request: Request) -> bool:
    return request.query_params.get("deleted", "").lower() == "true"


def _permanent(request: Request) -> bool:
    return request.query_params.get("permanent", "").lower() == "true"


@router.get("/subjects", summary="The project's subjects")
def list_subjects(request: Request, project: CurrentProject, who: Reader) -> Response:
    return _ok(_registry(request, project, who).subjects(deleted=_deleted(request)))


@router.get("/schemas/types", summary="The supported schema types")
def schema_types(who: Reader) -> Response:
    return _ok(["AVRO", "JSON"])


@router.get("/schemas/ids/{schema_id}", summary="A schema by its global id")
def schema_by_id(
    request: Request, schema_id: int, project: CurrentProject, who: Reader
) -> Response:
    registry = _registry(request, project, who)
    found = registry.schema(schema_id)
    body: dict[str, Any] = {"schema": found.text, "schemaType": found.schema_type}
    refs = registry.references(schema_id)
    if refs:
        body["references"] = [r.as_dict() for r in refs]
    return _ok(body)


@router.get("/schemas/ids/{schema_id}/versions", summary="Where a schema is registered")
def schema_versions(
    request: Request, schema_id: int, project: CurrentProject, who: Reader
) -> Response:
    usages = _registry(request, project, who).usages(schema_id, deleted=_deleted(request))
    return _ok([{"subject": s, "version": v} for s, v in usages])


@router.get("/subjects/{subject}/versions", summary="A subject's version numbers")
def list_versions(request: Request, subject: str, project: CurrentProject, who: Reader) -> Response:
    registry = _registry(request, project, who)
    return _ok([v.version for v in registry.versions(subject, deleted=_deleted(request))])


@router.get("/subjects/{subject}/versions/{version}", summary="One version (or latest)")
def get_version(
    request: Request, subject: str, version: str, project: CurrentProject, who: Reader
) -> Response:
    registry = _registry(request, project, who)
    item = registry.version(subject, version, deleted=_deleted(request))
    return _ok(_version_body(item, registry))


@router.get("/subjects/{subject}/versions/{version}/schema", summary="One version's schema")
def get_version_schema(
    request: Request, subject: str, version: str, project: CurrentProject, who: Reader
) -> Response:
    item = _registry(request, project, who).version(subject, version, deleted=_deleted(request))
    return Response(item.schema.text, media_type=MEDIA_TYPE)


@router.post("/subjects/{subject}/versions", summary="Register a schema under a subject")
async def register(
    request: Request, subject: str, project: CurrentProject, who: Writer
) -> Response:
    from readiness.contracts.api_governance import governance

    schema, kind, refs = await _schema_and_references(request)
    changelog = (await _body(request)).get("changelog")
    if changelog is not None and not isinstance(changelog, str):
        raise InputError("'changelog' must be a string naming the affected consumers")
    item = governance(request, project, who).register(subject, schema, kind, changelog, refs)
    return _ok({"id": item.schema.id, **_version_body(item, _registry(request, project, who))})


@router.post("/subjects/{subject}", summary="Look a schema up in a subject")
async def lookup(request: Request, subject: str, project: CurrentProject, who: Reader) -> Response:
    schema, kind, refs = await _schema_and_references(request)
    registry = _registry(request, project, who)
    item = registry.lookup(subject, schema, kind, refs, deleted=_deleted(request))
    return _ok(_version_body(item, registry))


async def _compatibility(
    request: Request, subject: str, version: str | None, project: Any, who: Principal
) -> Response:
    schema, kind, refs = await _schema_and_references(request)
    registry = _registry(request, project, who)
    result = registry.test(subject, schema, kind, version, refs)
    body: dict[str, Any] = {"is_compatible": result.compatible}
    if request.query_params.get("verbose", "").lower() == "true":
        body["messages"] = result.messages
    return _ok(body)


@router.post(
    "/compatibility/subjects/{subject}/versions/{version}",
    summary="Is a schema compatible with one version of a subject?",
)
async def test_one(
    request: Request, subject: str, version: str, project: CurrentProject, who: Reader
) -> Response:
    return await _compatibility(request, subject, version, project, who)


@router.post(
    "/compatibility/subjects/{subject}/versions",
    summary="Is a schema compatible with the versions the subject's mode names?",
)
async def test_all(
    request: Request, subject: str, project: CurrentProject, who: Reader
) -> Response:
    return await _compatibility(request, subject, None, project, who)


@router.get("/config", summary="The project's global compatibility mode")
def get_global(request: Request, project: CurrentProject, who: Reader) -> Response:
    return _ok({"compatibilityLevel": _registry(request, project, who).compatibility()})


@router.put("/config", summary="Set the project's global compatibility mode")
async def put_global(request: Request, project: CurrentProject, who: Writer) -> Response:
    mode = _level(await _body(request))
    return _ok({"compatibility": _registry(request, project, who).set_compatibility(mode)})


@router.get("/config/{subject}", summary="A subject's compatibility mode")
def get_subject(request: Request, subject: str, project: CurrentProject, who: Reader) -> Response:
    registry = _registry(request, project, who)
    if request.query_params.get("defaultToGlobal", "").lower() == "true":
        return _ok({"compatibilityLevel": registry.compatibility(subject)})
    mode = registry.subject_config(subject)
    if mode is None:
        raise _no_subject_config(subject)
    return _ok({"compatibilityLevel": mode})


@router.put("/config/{subject}", summary="Set a subject's compatibility mode")
async def put_subject(
    request: Request, subject: str, project: CurrentProject, who: Writer
) -> Response:
    mode = _level(await _body(request))
    return _ok({"compatibility": _registry(request, project, who).set_compatibility(mode, subject)})


def _level(data: dict[str, Any]) -> str:
    mode = data.get("compatibility", data.get("compatibilityLevel"))
    if not isinstance(mode, str):
        raise InputError("invalid compatibility level: the body needs 'compatibility'")
    return mode


def _no_subject_config(subject: str) -> ReadinessError:
    from readiness.errors import SubjectNotFoundError

    return SubjectNotFoundError(f"subject {subject!r} has no compatibility level of its own")


def _include_governance() -> None:
    # The governance routes share the prefix and the registry's error shape.
    from readiness.contracts.api_governance import router as governance_router

    for route in governance_router.routes:
        assert isinstance(route, APIRoute)
        router.add_api_route(
            route.path,
            route.endpoint,
            methods=sorted(route.methods or ()),
            summary=route.summary,
            route_class_override=_RegistryRoute,
        )


_include_governance()
# ------------------------------------------------------------ deletes and references


@router.delete("/subjects/{subject}", summary="Soft delete a subject (permanent=true: for good)")
def delete_subject(
    request: Request, subject: str, project: CurrentProject, who: Writer
) -> Response:
    registry = _registry(request, project, who)
    return _ok(registry.delete_subject(subject, permanent=_permanent(request)))


@router.delete(
    "/subjects/{subject}/versions/{version}",
    summary="Soft delete a version (permanent=true: for good)",
)
def delete_version(
    request: Request, subject: str, version: str, project: CurrentProject, who: Writer
) -> Response:
    registry = _registry(request, project, who)
    return _ok(registry.delete_version(subject, version, permanent=_permanent(request)))


@router.get(
    "/subjects/{subject}/versions/{version}/referencedby",
    summary="The ids of the schemas referencing a version",
)
def referenced_by(
    request: Request, subject: str, version: str, project: CurrentProject, who: Reader
) -> Response:
    return _ok(_registry(request, project, who).referenced_by(subject, version))
