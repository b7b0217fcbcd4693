"""How many pytest runs ``tests classify`` needs to find a cross-file polluter in a big suite.

For each suite size, generates a pytest project (a package and test modules spread over five
test packages, 50 tests a module) with one polluter and one victim in different packages,
runs it once through our pytest plugin (the failing "CI run"), ingests the report into a fresh
SQLite store, then classifies the victim with real pytest processes. Prints one JSON line: per
size, the pytest runs classify took (all of them, and those of the polluter search), the
tests that ran before the victim, wall time, and whether the polluter found is the right one.
The peer is the pair-by-pair scan (one run per test before the victim), counted, not run.

    .venv/bin/python benchmarks/classify_suite.py [--tests 1000 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from readiness._common.clock import SystemClock
from readiness.config import load_settings
from readiness.storage import open_stores
from readiness.testhealth.experiments.classify import classify_locally
from readiness.testhealth.experiments.culprits import bisection_bound
from readiness.testhealth.experiments.runner import PytestRunner
from readiness.testhealth.model import RunMeta
from readiness.testhealth.service import TestHealthService

PER_MODULE = 50
PACKAGES = ("api", "billing", "catalog", "pricing", "users")
PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
addopts = "-p no:schemathesis -p no:hypothesispytest -p no:anyio -p no:cacheprovider"
"""
FILLER = "def test_{name}_{i}():\n    assert {i} + 1 > {i}\n\n"
POLLUTER = "def test_{name}_{i}():\n    config.CURRENCY[0] = 'EUR'  # never restored\n\n"
VICTIM = "def test_{name}_{i}():\n    assert config.CURRENCY[0] == 'USD'\n\n"


def generate(root: Path, n_tests: int, rng: random.Random) -> tuple[str, str]:
    """Write the project; returns the node ids of the polluter and the victim."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "config.py").write_text("CURRENCY = ['USD']\n")
    (root / "pyproject.toml").write_text(PYPROJECT)
    modules = n_tests // PER_MODULE
    paths = [f"tests/{PACKAGES[m % len(PACKAGES)]}/test_m{m}.py" for m in range(modules)]
    ordered = sorted(paths)  # the collected order of the modules
    # The polluter in the first half of the suite, the victim in a later module of another package.
    p_mod = rng.randrange(len(ordered) // 2)
    v_mod = rng.randrange(len(ordered) // 2, len(ordered))
    while ordered[v_mod].split("/")[1] == ordered[p_mod].split("/")[1]:
        v_mod = rng.randrange(len(ordered) // 2, len(ordered))
    p_i, v_i = rng.randrange(PER_MODULE), rng.randrange(PER_MODULE)
    ids = {}
    for m, path in enumerate(ordered):
        file = root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        (file.parent / "__init__.py").write_text("")
        text = "from app import config\n\n\n"
        for i in range(PER_MODULE):
            template = FILLER
            if (m, i) == (p_mod, p_i):
                template, ids["polluter"] = POLLUTER, f"{path}::test_{m}_{i}"
            elif (m, i) == (v_mod, v_i):
                template, ids["victim"] = VICTIM, f"{path}::test_{m}_{i}"
            text += template.format(name=m, i=i)
        file.write_text(text)
    (root / "tests" / "__init__.py").write_text("")
    return ids["polluter"], ids["victim"]


def measure(n_tests: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="readiness-classify-") as tmp:
        root = Path(tmp) / "project"
        polluter, victim = generate(root, n_tests, rng)
        ci = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--readiness-junit=ci.xml"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert ci.returncode == 1, ci.stdout[-500:]
        settings = load_settings(root, environ={})
        stores = open_stores(settings)
        service = TestHealthService(settings=settings, stores=stores, clock=SystemClock())
        service.ingest_bytes((root / "ci.xml").read_bytes(), source="ci.xml", meta=RunMeta())
        failing = service.failing_orders(victim)
        stores.dispose()
        before = len(failing[0].before or ())
        start = time.perf_counter()
        runner = PytestRunner(root)
        found = classify_locally(
            settings, victim, failing=failing, rng=random.Random(0), runner=runner
        )
        wall = time.perf_counter() - start
    return {
        "tests": n_tests,
        "label": found.label,
        "polluter_found": found.polluters == (polluter,),
        "tests_before_victim": before,
        "pytest_runs": found.pytest_runs,
        "search_runs": found.search_runs,
        "search_bound": bisection_bound(before),
        "collect_runs": 1,
        "wall_s": round(wall, 2),
        "peer_pair_scan_runs": before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    results = [measure(n, args.seed) for n in args.tests]
    print(json.dumps({"benchmark": "classify_suite", "results": results}))


if __name__ == "__main__":
    main()
