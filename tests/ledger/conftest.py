"""The hashing of ``readiness.ledger.verify`` both ways: with the optional C accelerator
(``native/``) and with ``hashlib`` alone (what a machine without it runs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from readiness.ledger import verify

ACCELERATOR = verify._load_speedups()


@pytest.fixture(scope="module", params=["accelerator", "hashlib"])
def verify_hashing(request: pytest.FixtureRequest) -> Iterator[str]:
    """Module-scoped (Hypothesis tests use it): the hashing verify uses, restored after."""
    if request.param == "accelerator" and ACCELERATOR is None:
        pytest.skip("the C accelerator (native/) is not installed or has no ledger hashing")
    saved = verify._speedups
    verify._speedups = ACCELERATOR if request.param == "accelerator" else None
    try:
        yield str(request.param)
    finally:
        verify._speedups = saved
