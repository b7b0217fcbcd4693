"""The schema registry's governance routes (under ``/api/v1/schema-registry``, next to the
Confluent subset): consumers and their reader schemas, impact, diff, processed-version
telemetry, sample events and field presence. Reading needs the reader role; registering a
consumer, reporting processed versions and posting samples the writer role."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from readiness.contracts.schemas.governance.service import SchemaGovernance
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.errors import InputError
from readiness.web.deps import (
    CurrentProject,
    Principal,
    get_clock,
    get_settings,
    get_stores,
    require_reader,
    require_writer,
)

MAX_SAMPLES = 10 * 1024 * 1024

router = APIRouter()
Reader = Annotated[Principal, Depends(require_reader)]
Writer = Annotated[Principal, Depends(require_writer)]


def governance(request: Request, project: CurrentProject, who: Principal) -> SchemaGovernance:
    """The project's governed registry, acting as ``who``."""
    registry = SchemaRegistry(
        get_stores(request), get_clock(request), project.name, actor=who.actor
    )
    return SchemaGovernance(registry, get_settings(request).contracts)


def _ok(data: Any) -> Response:
    return JSONResponse(data)


async def _json(request: Request) -> dict[str, Any]:
    import json

    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, RecursionError):
        raise InputError("the request body is not JSON (or nested too deeply)") from None
    if not isinstance(data, dict):
        raise InputError("the request body is a JSON object")
    return data


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"'{key}' must be a string (got {type(value).__name__})")
    return value


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"'{key}' must be an integer (got {value!r})")
    return value


@router.get("/subjects/{subject}/consumers", summary="A subject's registered consumers")
def list_consumers(
    request: Request, subject: str, project: CurrentProject, who: Reader
) -> Response:
    gov = governance(request, project, who)
    kind = gov._kind_of(subject, None)
    return _ok(
        [
            {
                "name": c.name,
                "strict": c.strict,
                "fields": list(c.fields),
                "reads": sorted(c.reads(kind)),
                "readerSchema": c.reader_schema is not None,
            }
            for c in gov.consumers(subject)
        ]
    )


@router.put(
    "/subjects/{subject}/consumers/{name}",
    summary="Register a consumer of a subject (fields it reads, reader schema, strictness)",
)
async def put_consumer(
    request: Request, subject: str, name: str, project: CurrentProject, who: Writer
) -> Response:
    data = await _json(request)
    fields = data.get("fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise InputError("'fields' must be a list of field paths, e.g. [\"amount\"]")
    strict = data.get("strict", True)
    if not isinstance(strict, bool):
        raise InputError(f"'strict' must be true or false (got {strict!r})")
    found = governance(request, project, who).register_consumer(
        subject,
        name,
        fields=fields,
        reader_schema=_optional_str(data, "readerSchema"),
        schema_type=_optional_str(data, "schemaType"),
        strict=strict,
    )
    return _ok({"name": found.name, "fields": list(found.fields), "strict": found.strict})


@router.post(
    "/consumers/{name}/processed",
    summary="Report events of a schema version a consumer processed (daily aggregates)",
)
async def processed(request: Request, name: str, project: CurrentProject, who: Writer) -> Response:
    data = await _json(request)
    subject = _optional_str(data, "subject")
    if not subject:
        raise InputError("the body needs 'subject'")
    at_text = _optional_str(data, "at")
    at = None
    if at_text is not None:
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError:
            raise InputError(f"'at' must be an ISO 8601 time (got {at_text!r})") from None
    count = _int(data, "count")
    number = governance(request, project, who).report_processed(
        subject,
        name,
        version=_int(data, "version"),
        schema_id=_int(data, "id"),
        count=1 if count is None else count,
        at=at,
    )
    return _ok({"subject": subject, "consumer": name, "version": number})


@router.get("/subjects/{subject}/impact", summary="Which consumers read a field")
def impact(
    request: Request,
    subject: str,
    project: CurrentProject,
    who: Reader,
    field: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    gov = governance(request, project, who)
    names = (
        gov.consumers_reading(subject, field) if field else [c.name for c in gov.consumers(subject)]
    )
    return _ok({"subject": subject, "field": field, "consumers": names})


@router.post(
    "/subjects/{subject}/impact",
    summary="What registering a schema would do: consumers affected, meaning changes, refusals",
)
async def evaluate(
    request: Request, subject: str, project: CurrentProject, who: Reader
) -> Response:
    data = await _json(request)
    schema = _optional_str(data, "schema")
    if schema is None:
        raise InputError("the body needs 'schema': the schema as a string")
    result = governance(request, project, who).evaluate(
        subject, schema, _optional_str(data, "schemaType"), _optional_str(data, "changelog")
    )
    return _ok(result.as_dict())


@router.get("/subjects/{subject}/diff", summary="The changelog between two versions")
def diff(  # noqa: PLR0917 - FastAPI takes its parameters positionally
    request: Request,
    subject: str,
    project: CurrentProject,
    who: Reader,
    old: Annotated[str, Query(alias="from")],
    new: Annotated[str, Query(alias="to")] = "latest",
) -> Response:
    return _ok(governance(request, project, who).diff(subject, old, new))


@router.get("/subjects/{subject}/usage", summary="Consumers that processed each version")
def usage(
    request: Request,
    subject: str,
    project: CurrentProject,
    who: Reader,
    days: Annotated[int | None, Query(ge=1, le=3660)] = None,
) -> Response:
    return _ok(governance(request, project, who).usage(subject, days))


@router.post("/subjects/{subject}/samples", summary="Count sample events (JSON lines)")
async def samples(
    request: Request,
    subject: str,
    project: CurrentProject,
    who: Writer,
    day: Annotated[
        date | None, Query(description="The day they belong to (default: today)")
    ] = None,
) -> Response:
    body = await request.body()
    if len(body) > MAX_SAMPLES:
        raise InputError(f"samples are at most {MAX_SAMPLES} bytes per request")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("samples must be UTF-8 JSON lines") from None
    at = datetime.combine(day, time(), UTC) if day is not None else None
    return _ok(governance(request, project, who).add_samples(subject, text, at))


@router.get("/subjects/{subject}/presence", summary="Field presence and fields that disappeared")
def presence(
    request: Request,
    subject: str,
    project: CurrentProject,
    who: Reader,
    day: Annotated[date | None, Query()] = None,
) -> Response:
    return _ok(governance(request, project, who).presence_report(subject, day))
