"""The dashboard's table block: sortable columns, filters and pages, all held in the URL.

Pure: no request, no database. A page declares its table once (:class:`TableSpec`: columns,
default sort, filter names, its page and partial paths); each request turns the query parameters
into a :class:`TableView` (:meth:`TableSpec.view`, which refuses an unknown sort key with a 422),
sorts or asks the store for one page, and hands :func:`paginate` the total. Every link the
templates draw (a header that toggles the sort, first/previous/next/last) is built here from the
view, so each keeps every other parameter: the URL is the whole view, bookmarkable and shareable.

A page past the end is clamped to the last page (the rows are shown, not a 404): a link kept
from a longer list still lands on something, and the pager says which rows it shows.

    FLAKY = TableSpec(
        path="/tests/flaky", partial="/tests/flaky/table", target="flaky-table",
        columns=(Column("test", "Test", value=lambda t: t.test_id), ...),
        default_sort="status", filters=("q", "status"),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from math import ceil
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlencode

from readiness.errors import InputError

Direction = Literal["asc", "desc"]
DIRECTIONS: tuple[Direction, ...] = ("asc", "desc")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 2**31 - 1  # what a query parameter may ask for; past the end is clamped

Row = TypeVar("Row")


class TableQueryError(InputError):
    """A table's query parameter names no column or direction it has (422, like any bad
    parameter)."""

    http_status = 422


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One column: its key in ``?sort=``, its header and how a row sorts by it.

    ``value`` is what an in-memory sort compares (``None`` values sort last both ways);
    without one the column is not sortable, unless the store sorts (``sortable=True``).
    ``numeric`` right-aligns it and makes its first click sort descending (largest first);
    ``first`` sets that first direction for any column (newest first for a date).
    """

    key: str
    label: str
    value: Callable[[Row], Any] | None = None
    numeric: bool = False
    sortable: bool | None = None  # None: sortable when it has a value
    first: Direction | None = None

    @property
    def is_sortable(self) -> bool:
        """Whether its header is a sort link."""
        return self.value is not None if self.sortable is None else self.sortable

    @property
    def first_direction(self) -> Direction:
        """The direction of the first click on its header: numbers largest first."""
        if self.first is not None:
            return self.first
        return "desc" if self.numeric else "asc"


@dataclass(frozen=True)
class TableSpec(Generic[Row]):
    """A table as a page declares it once.

    ``path`` is the page (where links lead), ``partial`` the route rendering the table alone
    (what htmx fetches), ``target`` the id of the element it replaces. ``filters`` names the
    query parameters that filter the rows: they are kept, in that order, in every link.
    ``tiebreak`` orders rows that sort equal (and is the column every sort ends on).
    """

    path: str
    partial: str
    target: str
    columns: tuple[Column[Row], ...]
    default_sort: str
    default_direction: Direction = "asc"
    filters: tuple[str, ...] = ()
    tiebreak: str | None = None
    per_page: int = DEFAULT_PER_PAGE
    max_per_page: int = MAX_PER_PAGE

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"column keys repeat: {keys}")
        for name in (self.default_sort, self.tiebreak):
            if name is not None and name not in self.sortable_keys:
                raise ValueError(f"{name!r} is not a sortable column of {keys}")
        if not 1 <= self.per_page <= self.max_per_page:
            raise ValueError(f"per_page {self.per_page} is not in 1..{self.max_per_page}")

    @property
    def sortable_keys(self) -> tuple[str, ...]:
        """The keys ``?sort=`` accepts, in column order."""
        return tuple(c.key for c in self.columns if c.is_sortable)

    def column(self, key: str) -> Column[Row]:
        """The column of ``key`` (KeyError when there is none)."""
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def view(
        self,
        *,
        sort: str | None = None,
        direction: str | None = None,
        page: int = 1,
        per_page: int | None = None,
        filters: Mapping[str, str | None] | None = None,
    ) -> TableView[Row]:
        """The view a request asks for; TableQueryError (422) for a sort key, direction or
        page size the table does not have. Empty filters are dropped."""
        chosen = sort or self.default_sort
        if chosen not in self.sortable_keys:
            raise TableQueryError(
                f"query parameter 'sort': {chosen[:80]!r} is not a sortable column; "
                f"choose one of {', '.join(self.sortable_keys)}",
                details={"field": "sort", "location": "query", "allowed": self.sortable_keys},
            )
        if direction is None or direction == "":
            # The default sort keeps the table's default direction; another column its own.
            way = (
                self.default_direction
                if chosen == self.default_sort
                else self.column(chosen).first_direction
            )
        elif direction in DIRECTIONS:
            way = direction
        else:
            raise TableQueryError(
                f"query parameter 'dir': {direction[:80]!r} is not a direction; give asc or desc",
                details={"field": "dir", "location": "query", "allowed": DIRECTIONS},
            )
        size = self.per_page if per_page is None else per_page
        if not 1 <= size <= self.max_per_page:
            raise TableQueryError(
                f"query parameter 'per_page': give 1 to {self.max_per_page} (got {size})",
                details={"field": "per_page", "location": "query", "max": self.max_per_page},
            )
        if not 1 <= page <= MAX_PAGE:
            raise TableQueryError(
                f"query parameter 'page': give 1 to {MAX_PAGE} (got {page})",
                details={"field": "page", "location": "query"},
            )
        unknown = set(filters or {}) - set(self.filters)
        if unknown:
            raise ValueError(f"filters {sorted(unknown)} are not declared by the table")
        kept = tuple((n, v) for n in self.filters if (v := (filters or {}).get(n)))
        return TableView(self, chosen, way, page, size, kept)


@dataclass(frozen=True)
class TableView(Generic[Row]):
    """What one request shows: sort, direction, page, page size and filters (non-empty)."""

    spec: TableSpec[Row]
    sort: str
    direction: Direction
    page: int
    per_page: int
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def descending(self) -> bool:
        """Whether the sort is descending."""
        return self.direction == "desc"

    def filter(self, name: str) -> str:
        """The value of filter ``name`` ("" when not given)."""
        return dict(self.filters).get(name, "")

    def params(self) -> list[tuple[str, str]]:
        """The query parameters of this view: filters, then what differs from the defaults."""
        out = list(self.filters)
        default = self.spec.view()
        if (self.sort, self.direction) != (default.sort, default.direction):
            out += [("sort", self.sort), ("dir", self.direction)]
        if self.per_page != self.spec.per_page:
            out.append(("per_page", str(self.per_page)))
        if self.page != 1:
            out.append(("page", str(self.page)))
        return out

    def url(self, *, partial: bool = False) -> str:
        """The page URL of this view (the table partial's with ``partial``)."""
        base = self.spec.partial if partial else self.spec.path
        query = urlencode(self.params())
        return f"{base}?{query}" if query else base

    def with_page(self, page: int) -> TableView[Row]:
        """The same view on another page."""
        return replace(self, page=page)

    def sorted_by(self, key: str) -> TableView[Row]:
        """What clicking ``key``'s header asks for: the other direction when the table is
        already sorted by it, else the column's first direction; back to page 1."""
        column = self.spec.column(key)
        if key == self.sort:
            way: Direction = "asc" if self.descending else "desc"
        else:
            way = column.first_direction
        return replace(self, sort=key, direction=way, page=1)

    def aria_sort(self, key: str) -> str:
        """The header's ``aria-sort``: ascending, descending or none."""
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"

    def headers(self) -> list[Header]:
        """Each column's header, with its sort links when it is sortable."""
        out = []
        for c in self.spec.columns:
            if c.is_sortable:
                click = self.sorted_by(c.key)
                aria = self.aria_sort(c.key)
                out.append(
                    Header(c.key, c.label, c.numeric, aria, click.url(), click.url(partial=True))
                )
            else:
                out.append(Header(c.key, c.label, c.numeric, None, None, None))
        return out

    def hidden_inputs(self) -> list[tuple[str, str]]:
        """What a filter form carries besides its fields: sort and page size (a new filter
        starts on page 1)."""
        return [(n, v) for n, v in self.params() if n in ("sort", "dir", "per_page")]


@dataclass(frozen=True)
class Header:
    """One column header as a template draws it (``href`` None: not sortable)."""

    key: str
    label: str
    numeric: bool
    aria_sort: str | None
    href: str | None
    partial_href: str | None


@dataclass(frozen=True)
class Pagination:
    """The page a view shows of ``total`` rows, and the links around it.

    ``page`` is clamped to ``1..pages`` (``pages`` is at least 1, so an empty table is page 1 of
    1); ``offset`` and ``limit`` are what to ask a store for.
    """

    page: int
    pages: int
    total: int
    per_page: int
    links: dict[str, str | None] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.per_page

    @property
    def limit(self) -> int:
        """Rows on a full page."""
        return self.per_page

    @property
    def first_row(self) -> int:
        """The 1-based number of the first row shown (0 when there are none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        """The 1-based number of the last row shown (0 when there are none)."""
        return min(self.offset + self.per_page, self.total)

    @property
    def label(self) -> str:
        """``rows 51–100 of 2,345``, ``1 row``, ``no rows``."""
        if self.total == 0:
            return "no rows"
        if self.total == 1:
            return "1 row"
        if self.pages == 1:
            return f"{self.total:,} rows"
        return f"rows {self.first_row:,}–{self.last_row:,} of {self.total:,}"


def paginate(view: TableView[Any], total: int) -> Pagination:
    """The page ``view`` asks for of ``total`` rows (clamped), with first/prev/next/last links
    (None where there is no such page) keeping every other parameter."""
    pages = max(1, ceil(total / view.per_page))
    page = min(view.page, pages)
    shown = view.with_page(page)

    def link(n: int) -> str | None:
        return shown.with_page(n).url() if n != page and 1 <= n <= pages else None

    links = {"first": link(1), "prev": link(page - 1), "next": link(page + 1), "last": link(pages)}
    partials = {
        f"{name}_partial": shown.with_page(n).url(partial=True) if links[name] else None
        for name, n in (("first", 1), ("prev", page - 1), ("next", page + 1), ("last", pages))
    }
    return Pagination(page, pages, total, view.per_page, {**links, **partials})


def sort_rows(rows: Iterable[Row], view: TableView[Row]) -> list[Row]:
    """``rows`` in the view's order: by its column (``None`` last either way), ties by the
    table's tiebreak column ascending."""
    spec = view.spec
    ordered = list(rows)
    if spec.tiebreak is not None:
        tie = spec.column(spec.tiebreak).value
        if tie is not None:
            ordered.sort(key=tie)
    value = spec.column(view.sort).value
    if value is None:
        return ordered  # the store sorted them
    known = [r for r in ordered if value(r) is not None]
    missing = [r for r in ordered if value(r) is None]
    # A stable sort, reverse=True included: rows that sort equal keep the tiebreak order.
    known.sort(key=value, reverse=view.descending)
    return known + missing


def page_of(rows: Sequence[Row], pagination: Pagination) -> list[Row]:
    """The rows of the page ``pagination`` shows, from all of them in order."""
    return list(rows[pagination.offset : pagination.offset + pagination.per_page])
