"""The table block's pure model: parsing a view, the links it builds and the page maths."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from readiness.web.tables import (
    Column,
    Pagination,
    TableQueryError,
    TableSpec,
    page_of,
    paginate,
    sort_rows,
)


@dataclass(frozen=True)
class Row:
    name: str
    runs: int
    rate: float | None = None


SPEC: TableSpec[Row] = TableSpec(
    path="/things",
    partial="/things/table",
    target="things",
    columns=(
        Column("name", "Name", lambda r: r.name),
        Column("runs", "Runs", lambda r: r.runs, numeric=True),
        Column("rate", "Rate", lambda r: r.rate, first="desc"),
        Column("notes", "Notes"),
    ),
    default_sort="name",
    filters=("q", "status"),
    tiebreak="name",
    per_page=2,
    max_per_page=10,
)


def test_an_empty_query_is_the_default_view_with_no_parameters() -> None:
    view = SPEC.view()

    assert (view.sort, view.direction, view.page, view.per_page, view.filters) == (
        "name",
        "asc",
        1,
        2,
        (),
    )
    assert view.url() == "/things"
    assert view.url(partial=True) == "/things/table"


def test_the_url_keeps_filters_in_declared_order_then_sort_page_size_and_page() -> None:
    view = SPEC.view(
        sort="runs", direction="asc", page=3, per_page=5, filters={"status": "ok", "q": "a b"}
    )

    assert view.url() == "/things?q=a+b&status=ok&sort=runs&dir=asc&per_page=5&page=3"


def test_empty_filters_are_dropped_from_the_view() -> None:
    assert SPEC.view(filters={"q": "", "status": None}).filters == ()


def test_an_unknown_sort_key_is_a_422_naming_the_sortable_columns() -> None:
    with pytest.raises(TableQueryError) as caught:
        SPEC.view(sort="notes")

    assert caught.value.http_status == 422
    assert caught.value.message == (
        "query parameter 'sort': 'notes' is not a sortable column; choose one of name, runs, rate"
    )
    assert caught.value.details["field"] == "sort"


def test_a_bad_direction_is_a_422() -> None:
    with pytest.raises(TableQueryError, match=r"^query parameter 'dir': 'up' is not a direction"):
        SPEC.view(direction="up")


@pytest.mark.parametrize("per_page", [0, 11, 2**40])
def test_a_page_size_outside_the_tables_range_is_a_422(per_page: int) -> None:
    with pytest.raises(TableQueryError, match=r"^query parameter 'per_page': give 1 to 10"):
        SPEC.view(per_page=per_page)


@pytest.mark.parametrize("page", [0, -1, 2**31])
def test_a_page_outside_1_to_int32_is_a_422(page: int) -> None:
    with pytest.raises(TableQueryError, match=r"^query parameter 'page': give 1 to 2147483647"):
        SPEC.view(page=page)


def test_a_header_click_sorts_by_the_column_in_its_first_direction_on_page_1() -> None:
    view = SPEC.view(page=4, filters={"q": "x"})

    assert view.sorted_by("runs").url() == "/things?q=x&sort=runs&dir=desc"
    assert view.sorted_by("rate").url() == "/things?q=x&sort=rate&dir=desc"


def test_a_click_on_the_sorted_header_toggles_its_direction() -> None:
    descending = SPEC.view(sort="runs")
    assert descending.direction == "desc"  # a numeric column's default

    assert descending.sorted_by("runs").url() == "/things?sort=runs&dir=asc"
    assert SPEC.view().sorted_by("name").url() == "/things?sort=name&dir=desc"
    assert SPEC.view(direction="desc").sorted_by("name").url() == "/things"


def test_headers_carry_aria_sort_and_links_only_for_sortable_columns() -> None:
    headers = SPEC.view(sort="runs", filters={"status": "ok"}).headers()

    assert [(h.key, h.aria_sort, h.href) for h in headers] == [
        ("name", "none", "/things?status=ok"),
        ("runs", "descending", "/things?status=ok&sort=runs&dir=asc"),
        ("rate", "none", "/things?status=ok&sort=rate&dir=desc"),
        ("notes", None, None),
    ]
    assert [h.partial_href for h in headers] == [
        "/things/table?status=ok",
        "/things/table?status=ok&sort=runs&dir=asc",
        "/things/table?status=ok&sort=rate&dir=desc",
        None,
    ]


def test_a_filter_form_carries_the_sort_and_page_size_but_not_the_page() -> None:
    view = SPEC.view(sort="runs", direction="asc", page=3, per_page=5, filters={"q": "x"})

    assert view.hidden_inputs() == [("sort", "runs"), ("dir", "asc"), ("per_page", "5")]


def test_zero_rows_are_page_1_of_1_with_no_links() -> None:
    p = paginate(SPEC.view(page=7), 0)

    assert (p.page, p.pages, p.offset, p.first_row, p.last_row, p.label) == (
        1,
        1,
        0,
        0,
        0,
        "no rows",
    )
    assert set(p.links.values()) == {None}


def test_exactly_one_full_page_has_no_links() -> None:
    p = paginate(SPEC.view(), 2)

    assert (p.pages, p.label) == (1, "2 rows")
    assert set(p.links.values()) == {None}


def test_one_row_is_named_in_the_singular() -> None:
    assert paginate(SPEC.view(), 1).label == "1 row"


def test_the_last_partial_page_shows_its_rows_and_links_back() -> None:
    p = paginate(SPEC.view(page=3, filters={"q": "x"}), 5)

    assert (p.page, p.pages, p.offset, p.first_row, p.last_row) == (3, 3, 4, 5, 5)
    assert p.label == "rows 5–5 of 5"
    assert p.links == {
        "first": "/things?q=x",
        "prev": "/things?q=x&page=2",
        "next": None,
        "last": None,
        "first_partial": "/things/table?q=x",
        "prev_partial": "/things/table?q=x&page=2",
        "next_partial": None,
        "last_partial": None,
    }


def test_a_page_past_the_end_is_clamped_to_the_last_page() -> None:
    p = paginate(SPEC.view(page=99), 5)

    assert (p.page, p.offset, p.links["next"], p.links["prev"]) == (3, 4, None, "/things?page=2")


def test_a_middle_page_links_every_way_and_counts_with_thousands_separators() -> None:
    spec = TableSpec(
        path="/t", partial="/t/p", target="t", columns=SPEC.columns, default_sort="name"
    )
    p = paginate(spec.view(page=2), 2345)

    assert p.label == "rows 51–100 of 2,345"
    assert (p.links["first"], p.links["prev"], p.links["next"], p.links["last"]) == (
        "/t",
        "/t",
        "/t?page=3",
        "/t?page=47",
    )


ROWS = [Row("b", 3, 0.5), Row("a", 3, None), Row("c", 1, 0.9), Row("d", 7, 0.5)]


def test_rows_sort_by_the_column_with_ties_in_tiebreak_order() -> None:
    assert [r.name for r in sort_rows(ROWS, SPEC.view(sort="runs"))] == ["d", "a", "b", "c"]
    assert [r.name for r in sort_rows(ROWS, SPEC.view(sort="runs", direction="asc"))] == [
        "c",
        "a",
        "b",
        "d",
    ]


def test_missing_values_sort_last_in_both_directions() -> None:
    assert [r.name for r in sort_rows(ROWS, SPEC.view(sort="rate"))] == ["c", "b", "d", "a"]
    assert [r.name for r in sort_rows(ROWS, SPEC.view(sort="rate", direction="asc"))] == [
        "b",
        "d",
        "c",
        "a",
    ]


def test_page_of_cuts_the_rows_of_the_page() -> None:
    ordered = sort_rows(ROWS, SPEC.view())

    assert [r.name for r in page_of(ordered, paginate(SPEC.view(page=2), 4))] == ["c", "d"]
    assert page_of(ordered, Pagination(1, 1, 0, 2)) == ordered[:2]


def test_a_spec_refuses_a_default_sort_that_is_not_sortable() -> None:
    with pytest.raises(ValueError, match="'notes' is not a sortable column"):
        TableSpec(path="/t", partial="/t/p", target="t", columns=SPEC.columns, default_sort="notes")


def test_adding_a_sortable_column_and_making_it_the_default_is_two_lines() -> None:
    spec = TableSpec(
        path="/t",
        partial="/t/p",
        target="t",
        columns=(*SPEC.columns, Column("impact", "Impact", lambda r: r.runs * 2, numeric=True)),
        default_sort="impact",
        default_direction="desc",
        tiebreak="name",
    )

    assert spec.view().url() == "/t"
    assert [r.name for r in sort_rows(ROWS, spec.view())] == ["d", "a", "b", "c"]
