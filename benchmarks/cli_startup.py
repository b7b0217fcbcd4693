"""How long do the everyday commands take, start-up included, as CI calls them?

Prints one JSON line of wall-clock medians (seconds) over ``--repeat`` runs, each command a fresh
``readiness`` process exactly as a CI step starts it, all measured in the same run:

- ``python -c pass``: the floor (the interpreter alone);
- ``readiness --version`` and ``readiness --help``: start-up of the command line;
- ``readiness tests ingest`` of a generated 5,000-test pytest report: ``ingest_first_s`` into a
  fresh project (it creates and migrates the databases), ``ingest_s`` the next run's report into
  that project (the everyday case: the tests are known);
- ``readiness tests flaky`` and ``readiness gate merge`` on that data.

    .venv/bin/python benchmarks/cli_startup.py
    .venv/bin/python benchmarks/cli_startup.py --repeat 9 --cases 5000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _gen_junit import generate

READINESS = Path(sys.executable).with_name("readiness")


def timed(argv: Sequence[str], *, cwd: Path, ok: Sequence[int] = (0,)) -> float:
    """Wall-clock seconds of one process; a failure to run it stops the benchmark."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    # Python caches bytecode on first import, as an installed package does; the warm-up run
    # below writes that cache so every figure measures a normal start, not a compile.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}"
        )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (medians)")
    parser.add_argument("--cases", type=int, default=5000, help="tests in the ingested report")
    args = parser.parse_args()
    if not READINESS.exists():
        raise SystemExit(f"{READINESS} not found: run this with the project's venv python")
    runs: dict[str, list[float]] = {
        "python_pass_s": [],
        "version_s": [],
        "help_s": [],
        "ingest_first_s": [],
        "ingest_s": [],
        "flaky_s": [],
        "gate_merge_s": [],
    }
    exe = str(READINESS)
    with tempfile.TemporaryDirectory(prefix="readiness-bench-") as tmp:
        base = Path(tmp)
        report = base / "junit.xml"
        results = generate(report, args.cases)
        # Run 0 is the warm-up (bytecode caches, page cache) and is not counted. Interleaved:
        # a slow spell of this shared machine hits every figure alike.
        for n in range(args.repeat + 1):
            project = base / f"p{n}"
            project.mkdir()
            runs["python_pass_s"].append(timed([sys.executable, "-c", "pass"], cwd=project))
            runs["version_s"].append(timed([exe, "--version"], cwd=project))
            runs["help_s"].append(timed([exe, "--help"], cwd=project))
            ingest = [exe, "tests", "ingest", str(report), "--branch", "main", "--commit"]
            runs["ingest_first_s"].append(timed([*ingest, "c0"], cwd=project))
            runs["ingest_s"].append(timed([*ingest, "c1"], cwd=project))
            runs["flaky_s"].append(timed([exe, "tests", "flaky"], cwd=project))
            # exit 1: the generated report has failures, so the merge gate fails; that is the
            # realistic case (every check runs).
            gate = [exe, "gate", "merge", "--head", "c1"]
            runs["gate_merge_s"].append(timed(gate, cwd=project, ok=(0, 1)))
            shutil.rmtree(project)
    figures: dict[str, object] = {
        "benchmark": "cli_startup",
        "repeat": args.repeat,
        "ingest_results": results,
    }
    figures |= {key: round(statistics.median(values[1:]), 3) for key, values in runs.items()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
