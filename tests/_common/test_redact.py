"""Secrets in URLs are masked before anything prints them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness._common.redact import mask_url, mask_urls


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://app:s3cret@db:5432/state?sslmode=require",
            "postgresql+psycopg://app:***@db:5432/state?sslmode=require",
        ),
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test"),
        ("https://rdy_abcdefgh@readiness.internal/", "https://***@readiness.internal/"),
        (
            "https://readiness.internal/?token=rdy_x&page=2",
            "https://readiness.internal/?token=***&page=2",
        ),
        (
            "https://h/?api-key=k&GITHUB_TOKEN=t&sig=s",
            "https://h/?api-key=***&GITHUB_TOKEN=***&sig=***",
        ),
        ("postgresql://u@h/d?password=pw", "postgresql://u@h/d?password=***"),
        ("sqlite:////var/lib/readiness/state.db", "sqlite:////var/lib/readiness/state.db"),
        ("http://[::1", "***"),
    ],
)
def test_passwords_token_user_names_and_secret_parameters_are_masked(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_urls_inside_a_message_are_masked_and_the_rest_is_kept() -> None:
    message = 'connect to postgresql://a:pw@db/x failed (see "https://t0k3n@ci.example/run")'

    assert mask_urls(message) == (
        'connect to postgresql://a:***@db/x failed (see "https://***@ci.example/run")'
    )


def test_known_secrets_are_masked_anywhere_but_short_values_are_left_alone() -> None:
    assert mask_urls("Bearer rdy_0123456789 for abc", ("rdy_0123456789", "abc")) == (
        "Bearer *** for abc"
    )


secret_text = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=8, max_size=30)


@given(user=st.from_regex(r"[a-z]{1,10}", fullmatch=True), password=secret_text)
def test_a_password_never_survives_masking(user: str, password: str) -> None:
    url = f"postgresql://{user}:{password}@db.internal:5432/state"

    assert mask_url(url) == f"postgresql://{user}:***@db.internal:5432/state"


@given(token=secret_text)
def test_a_token_query_value_never_survives_masking(token: str) -> None:
    assert mask_url(f"https://readiness.internal/api?token={token}") == (
        "https://readiness.internal/api?token=***"
    )
