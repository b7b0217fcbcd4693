"""A server's error answer becomes the error a local call raises, with the server's words."""

from __future__ import annotations

import httpx
import pytest

from readiness._common.api_errors import error_from_response
from readiness.errors import AuthError, InputError, NotFoundError, ReadinessError, RemoteError


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, InputError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, RemoteError),
        (503, RemoteError),
    ],
)
def test_the_status_picks_the_error_and_the_message_is_the_servers(
    status: int, kind: type[ReadinessError]
) -> None:
    response = httpx.Response(status, json={"error": {"code": "x", "message": "no such run"}})

    error = error_from_response(response, "server http://h: ")

    assert (type(error), str(error)) == (kind, "server http://h: no such run")


def test_a_body_that_is_not_the_error_shape_is_quoted_up_to_200_characters() -> None:
    response = httpx.Response(502, text="<html>" + "x" * 300)

    error = error_from_response(response, "server http://h: ")

    assert str(error) == "server http://h: <html>" + "x" * 194


def test_an_empty_body_names_the_status() -> None:
    error = error_from_response(httpx.Response(500), "server http://h: ")

    assert str(error) == "server http://h: Internal Server Error"
