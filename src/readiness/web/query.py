"""A query parameter given twice: refused unless the operation takes a list.

Starlette keeps every value of a repeated parameter and FastAPI reads the last one of a
single-valued parameter, so ``?project=a&project=b`` would silently act on ``b``. An API
operation's list parameters are those its dependency tree annotates as sequences (``tag`` of
an upload); any other parameter given more than once is an input error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from readiness.errors import InputError

API_PATHS = "/api/"


def _takes_several(annotation: Any) -> bool:
    """Whether a parameter annotated ``annotation`` holds a sequence (``list[str] | None``)."""
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_takes_several(arg) for arg in get_args(annotation) if get_origin(arg) is not None)


def list_parameters(dependant: Dependant) -> frozenset[str]:
    """The query parameters of an operation (its dependencies included) that take lists."""
    names = {
        field.alias
        for field in dependant.query_params
        if _takes_several(field.field_info.annotation)
    }
    for sub in dependant.dependencies:
        names |= list_parameters(sub)
    return frozenset(names)


def repeated(query: Iterable[tuple[str, str]], lists: frozenset[str]) -> list[tuple[str, int]]:
    """``(name, times)`` of each single-valued parameter given more than once, by name."""
    counts = Counter(name for name, _value in query)
    return sorted((n, c) for n, c in counts.items() if c > 1 and n not in lists)


def _is_api(request: Request) -> bool:
    from readiness.web.routing import is_api  # the API prefix and the root-mounted API routers

    return request.url.path.startswith(API_PATHS) or is_api(request)


async def refuse_repeated_query(request: Request) -> None:
    """App-wide dependency: a single-valued API query parameter given twice is a 400."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not _is_api(request):
        return
    query = request.query_params.multi_items()
    if len(query) < 2:
        return
    found = repeated(query, list_parameters(route.dependant))
    if found:
        named = ", ".join(f"{name!r} {times} times" for name, times in found)
        raise InputError(
            f"query parameter given more than once ({named}); give each once",
            details={"repeated": [name for name, _times in found]},
        )
