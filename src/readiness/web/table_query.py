"""A table's query parameters on a route: ``sort``, ``dir``, ``page``, ``per_page``.

Declared once here so every table route documents and checks them the same way: a NUL byte or
an over-long key in ``sort``, a page past 2^31 - 1 or a page size past the table's maximum is a
422 naming the parameter (JSON on the API, the error page on the dashboard). Which sort keys a
table has is checked by :meth:`readiness.web.tables.TableSpec.view`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from readiness.web.inputs import Line
from readiness.web.tables import MAX_PAGE, MAX_PER_PAGE, TableSpec, TableView


@dataclass(frozen=True)
class TableQuery:
    """The table parameters of one request, as given (not yet checked against a table)."""

    sort: str | None = None
    direction: str | None = None
    page: int = 1
    per_page: int | None = None

    def view(self, spec: TableSpec[Any], **filters: str | None) -> TableView[Any]:
        """The view of ``spec`` this request asks for (TableQueryError: 422)."""
        return spec.view(
            sort=self.sort,
            direction=self.direction,
            page=self.page,
            per_page=self.per_page,
            filters=filters,
        )


def table_query(
    sort: Annotated[Line | None, Query(max_length=40, description="The column to sort by.")] = None,
    direction: Annotated[
        Line | None, Query(alias="dir", max_length=4, description="asc or desc.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based; clamped.")] = 1,
    per_page: Annotated[
        int | None, Query(ge=1, le=MAX_PER_PAGE, description="Rows per page.")
    ] = None,
) -> TableQuery:
    """The dependency a table route declares (``query: TableParams``)."""
    return TableQuery(sort=sort, direction=direction, page=page, per_page=per_page)


TableParams = Annotated[TableQuery, Depends(table_query)]
