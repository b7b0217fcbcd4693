"""The real runner: pytest in fresh processes, on small projects generated in the test."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.errors import InputError
from readiness.testhealth.experiments.classify import classify
from readiness.testhealth.experiments.runner import PytestRunner
from readiness.testhealth.junit.reader import iter_cases
from readiness.testhealth.model import Hint, Outcome

pytestmark = pytest.mark.slow

PASS, FAIL = Outcome.PASSED, Outcome.FAILED
P, V, U = "test_mod.py::test_polluter", "test_mod.py::test_victim", "test_mod.py::test_unrelated"
FAST = ("-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:xdist", "-p", "no:schemathesis")

PROJECT = """\
import random

STATE = []
SETUP = {}


def test_polluter():
    STATE.append(1)


def test_victim():
    assert STATE == []


def test_unrelated():
    pass


def test_setter():
    SETUP["ready"] = True


def test_brittle():
    assert SETUP.get("ready"), "needs the setter"


def test_twice():
    STATE.append(2)
    assert STATE.count(2) == 1
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "test_mod.py").write_text(PROJECT, encoding="utf-8")
    return tmp_path


def _runner(root: Path) -> PytestRunner:
    return PytestRunner(root, extra_args=FAST)


def _packages(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_real_runner_finds_the_polluter_of_a_victim(project: Path) -> None:
    runner = _runner(project)

    result = classify(
        runner,
        V,
        suite=runner.collect(),
        rng=random.Random(0),
        random_orders=0,
        source_root=project,
        alone_runs=1,
    )

    assert (result.label, result.polluters) == ("order-dependent-victim", (P,))
    assert result.failure_kind == "assertion"
    assert result.hints == (Hint("module-state", 3, "STATE = []"),)
    assert result.pytest_runs == runner.runs


def test_the_real_runner_finds_the_state_setter_of_a_brittle_test(project: Path) -> None:
    setter, brittle = "test_mod.py::test_setter", "test_mod.py::test_brittle"

    result = classify(
        _runner(project),
        brittle,
        suite=[setter, brittle],
        rng=random.Random(0),
        random_orders=0,
        source_root=project,
        alone_runs=1,
    )

    assert (result.label, result.polluters) == ("brittle", (setter,))


def test_the_real_runner_flags_a_test_that_fails_on_its_second_run(project: Path) -> None:
    twice = "test_mod.py::test_twice"

    result = classify(
        _runner(project),
        twice,
        suite=[twice],
        rng=random.Random(0),
        random_orders=0,
        source_root=project,
        alone_runs=1,
    )

    assert (result.label, result.runs["alone"], result.runs["alone-second-run"]) == (
        "non-idempotent",
        "passed",
        "failed",
    )


def test_the_real_runner_runs_a_repeated_id_again_in_the_same_process(project: Path) -> None:
    assert _runner(project).run([V, P, V, U]) == [(V, PASS), (P, PASS), (V, FAIL), (U, PASS)]


def test_the_real_runner_reports_an_unknown_test_as_an_input_error(project: Path) -> None:
    with pytest.raises(InputError, match=r"exited 4"):
        _runner(project).run(["test_mod.py::test_nope"])


def test_the_whole_suite_is_collected_from_the_project_root_across_packages(
    tmp_path: Path,
) -> None:
    root = _packages(
        tmp_path,
        {
            "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
            "tests/api/test_b.py": "def test_b1(): pass\ndef test_b2(): pass\n",
            "tests/core/test_a.py": "class TestA:\n    def test_a(self): pass\n",
            "scripts/test_not_in_testpaths.py": "def test_x(): pass\n",
        },
    )

    assert _runner(root).collect() == [
        "tests/api/test_b.py::test_b1",
        "tests/api/test_b.py::test_b2",
        "tests/core/test_a.py::TestA::test_a",
    ]


def test_a_suite_that_cannot_be_collected_is_an_input_error_naming_pytests_summary(
    tmp_path: Path,
) -> None:
    root = _packages(tmp_path, {"tests/test_broken.py": "import not_a_module_anywhere\n"})

    with pytest.raises(InputError) as raised:
        _runner(root).collect()

    assert str(raised.value).startswith(f"pytest could not collect the suite in {root} (exit 2): ")
    assert str(raised.value).endswith(
        "; run `pytest --collect-only -q` there and fix what it reports"
    )


def test_a_recorded_seed_gives_the_order_pytest_randomly_runs_the_suite_in(
    tmp_path: Path,
) -> None:
    files = {
        f"tests/test_m{i}.py": "".join(f"def test_{t}(): pass\n" for t in range(4))
        for i in range(5)
    }
    root = _packages(tmp_path, files)
    runner = _runner(root)
    # What pytest-randomly itself runs with that seed, from pytest's own JUnit XML.
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *FAST, "-p", "randomly", "--randomly-seed=1234",
         "--junitxml=ran.xml"],
        cwd=root, capture_output=True, check=True,
    )  # fmt: skip
    with (root / "ran.xml").open("rb") as handle:
        ran = [case.test_id for case in iter_cases(handle, "ran.xml")]

    order = runner.seeded_order("1234")

    assert order == ran
    assert order != runner.collect()


def test_a_seed_that_is_not_an_integer_cannot_be_replayed(project: Path) -> None:
    assert _runner(project).seeded_order("abc") is None


def test_hundreds_of_node_ids_run_in_the_order_given(tmp_path: Path) -> None:
    files = {
        f"tests/pkg_{i % 3}/test_m{i}.py": "".join(f"def test_{t}(): pass\n" for t in range(50))
        for i in range(12)
    }
    runner = _runner(_packages(tmp_path, files))
    suite = runner.collect()
    shuffled = list(suite)
    random.Random(3).shuffle(shuffled)

    ran = runner.run(shuffled)

    assert [t for t, _ in ran] == shuffled
    assert len(ran) == 600
