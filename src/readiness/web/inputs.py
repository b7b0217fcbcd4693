"""What an API input may be: text a database can store, integers its columns can hold.

Every request model, query, path and form parameter is declared with these types, so a value no
column could take (a NUL byte, a lone surrogate, an integer past 32 bits, a string longer than
its column) is a ``422 invalid_input`` naming the field — never a database error answered 500.
The rules are also written into the OpenAPI document (``pattern``, ``maximum``, ``maxLength``),
so clients and schemathesis see the same contract the server enforces.

- :data:`Line` — a name or an id on one line: no control characters at all.
- :data:`Text` — free text (a reason, a test id): tab, newline and carriage return allowed, the
  other control characters not (XML 1.0 cannot carry them, so no report holds them either).
- :data:`Int32` — what an ``INTEGER`` column holds on PostgreSQL: at most 2^31 - 1.
- :data:`Moment` — a date Readiness stores (``_common.clock``: years 1970 to 8999).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from readiness._common.clock import EARLIEST_YEAR, LATEST_YEAR, storable_date_problem

INT32_MAX = 2**31 - 1

# The documented patterns leave lone surrogates out: they are not text (no UTF-8 encodes them), and
# a surrogate range is not a valid class in every regex dialect that reads OpenAPI documents.
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

_NOT_IN_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _refuse(found: re.Match[str]) -> None:
    char = found.group()
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    raise ValueError(f"{kind} ({char!r}) at position {found.start()} is not allowed")


def check_line(value: object) -> object:
    """``value`` when it is not a string holding a control character (a name, an id, a commit).

    Runs before the type's own checks (so ``max_length`` keeps pydantic's message), hence
    ``object``: what is not a string is left to them.
    """
    found = _NOT_IN_LINE.search(value) if isinstance(value, str) else None
    if found is not None:
        _refuse(found)
    return value


def check_text(value: object) -> object:
    """``value`` when it is not a string holding a control character other than tab, newline
    and CR."""
    found = _NOT_IN_TEXT.search(value) if isinstance(value, str) else None
    if found is not None:
        _refuse(found)
    return value


Line = Annotated[
    str, BeforeValidator(check_line), Field(json_schema_extra={"pattern": LINE_PATTERN})
]
Text = Annotated[
    str, BeforeValidator(check_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})
]
Int32 = Annotated[int, Field(le=INT32_MAX)]


def check_date(value: datetime) -> datetime:
    """``value`` when it is a date Readiness stores (see ``_common.clock``)."""
    problem = storable_date_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Moment = Annotated[
    datetime,
    AfterValidator(check_date),
    Field(description=f"ISO 8601, from year {EARLIEST_YEAR} to {LATEST_YEAR}."),
]


class JsonBody(BaseModel):
    """Base of request bodies: each field takes the JSON type the document states, so ``true``
    is not the integer 1 and ``"5"`` is not 5 (pydantic's lax mode would convert them).

    A field whose JSON form is a string of another type (a ``datetime``) opts out with
    ``Field(strict=False)``.
    """

    model_config = ConfigDict(strict=True)
