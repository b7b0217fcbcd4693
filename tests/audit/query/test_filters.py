"""The query filters are defined once: the CLI's query and export and the API's search and
export take the same eight, checked by the same rules."""

from __future__ import annotations

from typing import Any

import typer.main

from readiness.audit.query.core import make_filters
from readiness.audit.query.filters import FILTER_NAMES, FilterText
from readiness.audittrail.api_query import router
from readiness.audittrail.cli import app

EIGHT = ("actor", "target_type", "target_id", "action", "result", "tenant", "since", "until")


def test_filter_text_checks_as_make_filters_does() -> None:
    text = FilterText(actor="usr_1", action="invoice.*", since="2026-04-10", until="2026-04-11")

    assert FILTER_NAMES == EIGHT
    assert text.filters(limit=7, cursor=None) == make_filters(
        actor_id="usr_1", action="invoice.*", since="2026-04-10", until="2026-04-11", limit=7
    )


def _options(command: str) -> dict[str, tuple[str, ...]]:
    group: Any = typer.main.get_command(app)
    found = group.commands[command]
    return {p.name: tuple(p.opts) for p in found.params if p.name in EIGHT}


def test_the_cli_query_and_export_take_the_same_eight_options() -> None:
    query, export = _options("query"), _options("export")

    assert query == export
    assert sorted(query) == sorted(EIGHT)
    assert query["target_type"] == ("--target-type",)


def test_the_api_search_and_export_take_the_same_eight_parameters() -> None:
    def parameters(path: str) -> set[str]:
        [route] = [r for r in router.routes if getattr(r, "path", "") == path]
        dependant: Any = getattr(route, "dependant")  # noqa: B009 - FastAPI's attribute
        names = {p.name for d in dependant.dependencies for p in d.query_params}
        return names | {p.name for p in dependant.query_params}

    search, export = parameters("/audit/trail"), parameters("/audit/trail/export")

    assert set(EIGHT) <= search
    assert set(EIGHT) <= export
    assert search - set(EIGHT) == {"limit", "cursor"}
    assert export - set(EIGHT) == {"limit", "fmt"}  # ?format=
