"""How long do the everyday commands take, start-up included, as CI calls them?

Prints one JSON line of medians over ``--repeat`` runs, each command a fresh ``readiness``
process exactly as a CI step starts it, all measured in the same run: ``<name>_s`` wall-clock
seconds (what the targets are about) and ``<name>_cpu_s`` the process's user + system CPU seconds
(steadier than wall time when other jobs share the machine):

- ``python -c pass``: the floor (the interpreter alone), and ``libraries_floor``: importing the
  libraries every local ingest needs (Typer, pydantic, SQLAlchemy with its SQLite dialect);
- ``readiness --version`` and ``readiness --help``: start-up of the command line;
- ``readiness tests ingest`` of a generated 5,000-test pytest report: ``ingest_first_s`` into a
  fresh project (it creates and migrates the databases), ``ingest_s`` the next run's report into
  that project (the everyday case: the tests are known);
- ``readiness tests flaky`` and ``readiness gate merge`` on that data.

    .venv/bin/python benchmarks/cli_startup.py
    .venv/bin/python benchmarks/cli_startup.py --repeat 9 --cases 5000
    mkdir /tmp/before && git archive OLD_COMMIT src | tar -x -C /tmp/before
    .venv/bin/python benchmarks/cli_startup.py --baseline-src /tmp/before/src
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
# What any local ingest must import (Typer builds every option with pydantic; the SQLite dialect of
# SQLAlchemy Core writes): the floor below which `readiness tests ingest` cannot start.
LIBRARIES_FLOOR = "import typer, pydantic, sqlalchemy, sqlalchemy.dialects.sqlite"


def timed(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    ok: Sequence[int] = (0,),
) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one process; a failure stops the run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")} | (env or {})
    # Python caches bytecode on first import, as an installed package does; the warm-up run
    # below writes that cache so every figure measures a normal start, not a compile.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}"
        )
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (medians)")
    parser.add_argument("--cases", type=int, default=5000, help="tests in the ingested report")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="also measure the package in this src/ folder (e.g. an earlier commit's checkout), "
        "reported as baseline_*",
    )
    args = parser.parse_args()
    if not READINESS.exists():
        raise SystemExit(f"{READINESS} not found: run this with the project's venv python")
    variants: dict[str, tuple[list[str], dict[str, str]]] = {"": ([str(READINESS)], {})}
    if args.baseline_src:
        # The same entry point, its package imported from another checkout's src/ first.
        entry = "import sys; from readiness.cli.main import main; sys.exit(main())"
        pythonpath = {"PYTHONPATH": str(args.baseline_src.resolve())}
        variants["baseline_"] = ([sys.executable, "-c", entry], pythonpath)
    runs: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="readiness-bench-") as tmp:
        base = Path(tmp)
        report = base / "junit.xml"
        results = generate(report, args.cases)
        # Run 0 is the warm-up (bytecode caches, page cache) and is not counted. Interleaved:
        # a slow spell of this shared machine hits every figure alike.
        for n in range(args.repeat + 1):
            runs.setdefault("python_pass", []).append(
                timed([sys.executable, "-c", "pass"], cwd=base)
            )
            runs.setdefault("libraries_floor", []).append(
                timed([sys.executable, "-c", LIBRARIES_FLOOR], cwd=base)
            )
            for prefix, (exe, env) in variants.items():
                project = base / f"{prefix}p{n}"
                project.mkdir()
                for name, figure in one_round(exe, env, project, report).items():
                    runs.setdefault(prefix + name, []).append(figure)
                shutil.rmtree(project)
    figures: dict[str, object] = {
        "benchmark": "cli_startup",
        "repeat": args.repeat,
        "ingest_results": results,
    }
    for key, values in runs.items():
        counted = values[1:]  # without the warm-up
        figures[f"{key}_s"] = round(statistics.median(wall for wall, _cpu in counted), 3)
        figures[f"{key}_cpu_s"] = round(statistics.median(cpu for _wall, cpu in counted), 3)
    print(json.dumps(figures))


def one_round(
    exe: list[str], env: dict[str, str], project: Path, report: Path
) -> dict[str, tuple[float, float]]:
    """Each everyday command once, in a new project: (wall, cpu) seconds by name."""
    ingest = [*exe, "tests", "ingest", str(report), "--branch", "main", "--commit"]
    # The merge gate exits 1: the generated report has failures (every check runs).
    return {
        "version": timed([*exe, "--version"], cwd=project, env=env),
        "help": timed([*exe, "--help"], cwd=project, env=env),
        "ingest_first": timed([*ingest, "c0"], cwd=project, env=env),
        "ingest": timed([*ingest, "c1"], cwd=project, env=env),
        "flaky": timed([*exe, "tests", "flaky"], cwd=project, env=env),
        "gate_merge": timed(
            [*exe, "gate", "merge", "--head", "c1"], cwd=project, env=env, ok=(0, 1)
        ),
    }


if __name__ == "__main__":
    main()
