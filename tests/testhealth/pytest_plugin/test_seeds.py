"""The random-order seed of the session as a suite property, from the real ordering plugins.

pytest-randomly is a dev dependency. pytest-random-order is not: its tests skip unless it is
installed (``pip install pytest-random-order``).
"""

from __future__ import annotations

import re

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest

from tests.testhealth.pytest_plugin._report import root, suite_properties

pytest_plugins = ["pytester"]

TESTS = "def test_a():\n    pass\n\ndef test_b():\n    pass\n"


def _properties(pytester: pytest.Pytester) -> dict[str, str | None]:
    suite = root(pytester.path / "o.xml").find("testsuite")
    assert suite is not None
    return suite_properties(suite)


def test_the_pytest_randomly_seed_is_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TESTS)

    pytester.runpytest("-p", "randomly", "--randomly-seed=1234", "--readiness-junit=o.xml")

    assert _properties(pytester) == {"readiness.seed": "1234"}


def test_the_seed_pytest_randomly_picked_itself_is_the_one_it_printed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_a=TESTS)

    result = pytester.runpytest("-p", "randomly", "--readiness-junit=o.xml")

    [printed] = re.findall(r"Using --randomly-seed=(\d+)", result.stdout.str())
    assert _properties(pytester) == {"readiness.seed": printed}


def test_no_seed_is_recorded_when_pytest_randomly_is_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TESTS)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=o.xml")

    assert _properties(pytester) == {}


@pytest.fixture
def random_order() -> None:
    pytest.importorskip("random_order", reason="pytest-random-order is not installed")


@pytest.mark.usefixtures("random_order")
def test_the_pytest_random_order_seed_and_bucket_are_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TESTS)

    pytester.runpytest("-p", "no:randomly", "--random-order-seed=99", "--readiness-junit=o.xml")

    assert _properties(pytester) == {
        "readiness.seed": "99",
        "readiness.random_order_seed": "99",
        "readiness.random_order_bucket": "module",
    }


@pytest.mark.usefixtures("random_order")
def test_the_seed_pytest_random_order_picked_itself_is_the_one_it_printed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_a=TESTS)

    result = pytester.runpytest("-p", "no:randomly", "--random-order", "--readiness-junit=o.xml")

    [printed] = re.findall(r"Using --random-order-seed=(\d+)", result.stdout.str())
    assert _properties(pytester) == {
        "readiness.seed": printed,
        "readiness.random_order_seed": printed,
        "readiness.random_order_bucket": "module",
    }


@pytest.mark.usefixtures("random_order")
def test_with_both_plugins_shuffling_both_seeds_are_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TESTS)

    pytester.runpytest(
        "-p", "randomly", "--randomly-seed=7", "--random-order-seed=99", "--readiness-junit=o.xml"
    )

    assert _properties(pytester) == {
        "readiness.seed": "7",
        "readiness.random_order_seed": "99",
        "readiness.random_order_bucket": "module",
    }


@pytest.mark.usefixtures("random_order")
def test_no_seed_is_recorded_when_pytest_random_order_is_installed_but_not_asked_for(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_a=TESTS)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=o.xml")

    assert _properties(pytester) == {}
