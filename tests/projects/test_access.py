"""Which project a call acts on, and the 403 for a token limited to others (pure rules)."""

from __future__ import annotations

import pytest

from readiness.errors import PermissionDeniedError
from readiness.projects.access import check_allowed, choose_project


def test_a_named_project_is_chosen_whatever_the_token_allows() -> None:
    assert choose_project("billing", allowed={"shop"}, default="main") == "billing"


def test_without_a_name_a_token_limited_to_one_project_acts_on_it() -> None:
    assert choose_project(None, allowed={"shop"}, default="main") == "shop"


def test_without_a_name_a_token_limited_to_several_projects_gets_the_default() -> None:
    assert choose_project(None, allowed={"shop", "billing"}, default="main") == "main"


def test_without_a_name_an_unlimited_token_gets_the_default() -> None:
    assert choose_project(None, allowed=None, default="main") == "main"


def test_an_unlimited_token_may_use_any_project() -> None:
    check_allowed("anything", allowed=None, token="ci")


def test_a_limited_token_may_use_its_projects() -> None:
    check_allowed("shop", allowed={"shop", "billing"}, token="ci")


def test_a_limited_token_naming_another_project_is_refused_with_its_list() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        check_allowed("hr", allowed={"shop", "billing"}, token="ci")

    assert caught.value.message == (
        "token 'ci' may not use project 'hr'; it is limited to: billing, shop. "
        "Choose one of those, or ask an admin for a token that may use 'hr'"
    )
    assert caught.value.details == {"project": "hr", "allowed": ["billing", "shop"]}
    assert caught.value.http_status == 403


def test_a_token_whose_projects_were_all_deleted_may_use_none() -> None:
    with pytest.raises(PermissionDeniedError, match="it is limited to: no project"):
        check_allowed("shop", allowed=set(), token="ci")
