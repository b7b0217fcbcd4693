"""A single-valued query parameter given twice is a 400 in the one error shape; list ones work."""

from __future__ import annotations

from fastapi.routing import APIRoute
from hypothesis import given
from hypothesis import strategies as st

from readiness.testhealth.api import api_router
from readiness.web.query import list_parameters, repeated
from tests.server.conftest import Server


def test_a_project_given_twice_is_refused_naming_it(server: Server) -> None:
    response = server.client.get(
        "/api/v1/tests/flaky?project=a&project=b", headers=server.auth("reader")
    )

    assert (response.status_code, response.json()) == (
        400,
        {
            "error": {
                "code": "invalid_input",
                "message": "query parameter given more than once ('project' 2 times); give "
                "each once",
                "details": {"repeated": ["project"]},
            }
        },
    )


def test_every_repeated_parameter_is_named_in_name_order(server: Server) -> None:
    response = server.client.get(
        "/api/v1/tests/runs?limit=1&project=x&limit=2&project=y&limit=3",
        headers=server.auth("reader"),
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "query parameter given more than once ('limit' 3 times, 'project' 2 times); give each once"
    )


def test_a_list_parameter_takes_several_values(server: Server) -> None:
    response = server.client.post(
        "/api/v1/tests/runs?commit=c2&branch=main&run_id=2&tag=os:linux&tag=py:3.11",
        content=server.junit,
        headers={**server.auth("writer"), "Content-Type": "application/xml"},
    )

    assert response.status_code == 200, response.text


def test_the_upload_takes_tag_as_a_list_and_the_flaky_report_no_list() -> None:
    routes = {
        (r.name, *sorted(r.methods or ())): r
        for r in api_router().routes
        if isinstance(r, APIRoute)
    }

    assert list_parameters(routes["ingest", "POST"].dependant) == {"tag"}
    assert list_parameters(routes["_flaky", "GET"].dependant) == frozenset()


@given(st.lists(st.sampled_from(["a", "b", "tag"]), max_size=8))
def test_repeated_names_exactly_the_single_valued_names_given_twice(names: list[str]) -> None:
    found = repeated([(n, "v") for n in names], frozenset({"tag"}))

    expected = sorted((n, names.count(n)) for n in set(names) if n != "tag" and names.count(n) > 1)
    assert found == expected
