"""Reading a report upload (``POST /api/v1/tests/runs``): a raw XML body, or multipart ``file``
parts, each checked before any report is read; and what the OpenAPI document says of that body.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from typing import Any, BinaryIO

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from readiness.errors import InputError
from readiness.testhealth.model import MAX_SOURCE_LENGTH
from readiness.web.inputs import check_line

SPOOL_BYTES = 1 << 20  # uploads past 1 MiB go to disk, never whole into memory
MAX_FILES = 100

# What POST /runs reads from its body (it reads the stream itself, so FastAPI cannot infer it).
RUNS_BODY: dict[str, Any] = {
    "required": True,
    "description": "One JUnit XML report as the raw body, or several as multipart `file` parts "
    f"(at most {MAX_FILES}), stored in one transaction: all of them, or none and a 400 naming "
    "every invalid part. CI metadata goes in the query parameters.",
    "content": {
        "application/xml": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "additionalProperties": False,
                "properties": {
                    "file": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_FILES,
                        "items": {"type": "string", "format": "binary"},
                        "description": "A JUnit XML report; its filename names it in results.",
                    }
                },
            },
            "encoding": {"file": {"contentType": "application/xml"}},
        },
    },
}


def _part_problem(name: str, value: str | UploadFile) -> str | None:
    """Why one multipart part is not a report we can store, or None."""
    if name != "file":
        return "is not understood: reports go in parts named 'file', CI metadata in the query"
    if not isinstance(value, UploadFile):
        return "is a form field, not a file: send the report as a file (with a filename)"
    filename = value.filename or ""
    if len(filename) > MAX_SOURCE_LENGTH:
        return f"has a filename of {len(filename)} characters (at most {MAX_SOURCE_LENGTH})"
    try:
        check_line(filename)
    except ValueError as exc:
        return f"has a filename with {exc}"
    return None


def uploads(
    parts: Sequence[tuple[str, str | UploadFile]], source: str
) -> list[tuple[BinaryIO, str]]:
    """The reports of a multipart upload; an InputError naming every bad part, before any
    report is read, when one of them cannot be stored."""
    bad = [
        {"part": i, "name": name[:200], "problem": problem}
        for i, (name, value) in enumerate(parts, start=1)
        if (problem := _part_problem(name, value)) is not None
    ]
    if bad:
        listed = "; ".join(f"part {b['part']} ({b['name']!r}) {b['problem']}" for b in bad)
        raise InputError(
            f"{len(bad)} of {len(parts)} multipart parts cannot be stored, so nothing was "
            f"ingested: {listed}",
            details={"parts": bad, "total": len(parts)},
        )
    if not parts:
        raise InputError(
            "multipart upload has no 'file' part; send each report as a part named file"
        )
    return [
        (value.file, value.filename or source)
        for _, value in parts
        if isinstance(value, UploadFile)
    ]


async def read_form(request: Request) -> FormData:
    """The parts of a multipart upload (files spooled to disk past 1 MiB)."""
    try:
        return await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    except HTTPException as exc:  # Starlette's parser says what is wrong in ``detail``
        raise InputError(
            f"multipart upload cannot be read: {str(exc.detail).rstrip('.')}; send each report "
            f"as a part named file (at most {MAX_FILES}), e.g. curl -F file=@report.xml",
            details={"problem": str(exc.detail)},
        ) from exc


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk


async def spool_body(request: Request) -> BinaryIO:
    """A raw report body, spooled to a temporary file past ``SPOOL_BYTES``."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    try:
        async for chunk in _chunks(request):
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool  # type: ignore[return-value] # SpooledTemporaryFile is a binary file
