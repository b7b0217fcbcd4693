"""The project-name rule and the default name taken from a directory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.project_names import (
    check_lookup_name,
    is_valid_project_name,
    project_name_from,
    validate_project_name,
)
from readiness.errors import InputError


@pytest.mark.parametrize("name", ["shop", "a", "billing-api", "svc_2", "v1.2", "0day", "a" * 64])
def test_names_of_lowercase_letters_digits_and_separators_are_valid(name: str) -> None:
    assert validate_project_name(name) == name


@pytest.mark.parametrize("name", ["", "Shop", "-shop", ".hidden", "my shop", "a/b", "a" * 65])
def test_other_names_are_not_valid(name: str) -> None:
    assert is_valid_project_name(name) is False


def test_an_invalid_name_is_one_error_saying_the_rule_and_a_valid_alternative() -> None:
    with pytest.raises(InputError) as caught:
        validate_project_name("My Shop")

    assert caught.value.message == (
        "project name 'My Shop' is not valid: use 1-64 characters from a-z, 0-9, '-', '_' "
        "and '.', starting with a letter or digit (e.g. 'my-shop')"
    )
    assert caught.value.details == {"field": "project", "got": "My Shop"}


@pytest.mark.parametrize(
    ("directory", "name"),
    [
        ("shop", "shop"),
        ("My Shop", "my-shop"),
        ("Billing_API", "billing_api"),
        ("..hidden--repo", "hidden--repo"),
        ("café ☕ bar", "caf-bar"),
        ("", "default"),
        ("☕", "default"),
        ("x" * 70, "x" * 64),
    ],
)
def test_the_default_name_is_the_directory_name_made_valid(directory: str, name: str) -> None:
    assert project_name_from(directory) == name


@given(st.text(max_size=100))
def test_the_name_made_from_any_text_is_valid(text: str) -> None:
    assert is_valid_project_name(project_name_from(text)) is True


@given(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,62}[a-z0-9]", fullmatch=True))
def test_a_valid_name_is_its_own_default_name(name: str) -> None:
    assert project_name_from(name) == name


def test_lookups_accept_names_stored_before_the_rule() -> None:
    assert check_lookup_name("Legacy Project") == "Legacy Project"


@pytest.mark.parametrize("name", ["", "a\x00b", "x" * 201])
def test_lookups_refuse_text_no_project_can_have(name: str) -> None:
    with pytest.raises(InputError, match="cannot name a project"):
        check_lookup_name(name)
