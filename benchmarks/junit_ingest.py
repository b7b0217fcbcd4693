"""How fast is JUnit XML parsed and ingested, and how much memory does an ingest take?

Prints one JSON line: our parse rate (cases/s: row batches as the ingest reads them, with and
without the C accelerator, the exact callback path, and the public ``iter_cases`` of CaseResult
objects), junitparser's and defusedxml.ElementTree.iterparse's on the same file, the ingest rate
into a fresh SQLite database (results/s) and into one that already knows the tests, and the peak
RSS of an ingest measured in a subprocess of its own. Parse rates and ingest figures are medians
of ``--repeat`` runs (ours and junitparser interleaved); the machine is shared and noisy.

    .venv/bin/python benchmarks/junit_ingest.py            # 200k results (~26 MB)
    .venv/bin/python benchmarks/junit_ingest.py --big      # plus RSS on a ~200 MB file
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _gen_junit import DATA, generate


def parse_ours(path: Path, *, fast: bool = True) -> tuple[int, float]:
    """Row tuples, a list at a time: what the ingest consumes."""
    from readiness.testhealth.junit.reader import parse_report

    start = time.perf_counter()
    with path.open("rb") as f:
        n = sum(map(len, parse_report(f, str(path), fast=fast).batches()))
    return n, time.perf_counter() - start


def parse_ours_cases(path: Path) -> tuple[int, float]:
    """The public iter_cases: one frozen CaseResult per execution."""
    from readiness.testhealth.junit.reader import iter_cases

    start = time.perf_counter()
    with path.open("rb") as f:
        n = sum(1 for _ in iter_cases(f, str(path)))
    return n, time.perf_counter() - start


def parse_junitparser(path: Path) -> tuple[int, float]:
    from junitparser import JUnitXml

    start = time.perf_counter()
    xml = JUnitXml.fromfile(str(path))
    n = 0
    for suite in xml:
        for case in suite:
            _ = (case.classname, case.name, case.time, case.result)
            n += 1
    return n, time.perf_counter() - start


def parse_defusedxml(path: Path) -> tuple[int, float]:
    from defusedxml.ElementTree import iterparse

    start = time.perf_counter()
    n = 0
    root = None
    for event, elem in iterparse(str(path), events=("start", "end"), forbid_dtd=True):
        if root is None:
            root = elem
        if event == "end" and elem.tag == "testcase":
            _ = (elem.get("classname"), elem.get("name"), elem.get("time"), len(elem))
            n += 1
            elem.clear()
        elif event == "end" and elem.tag == "testsuite":
            elem.clear()
    return n, time.perf_counter() - start


def ingest_child(path: Path, twice: bool) -> None:
    """Run in a subprocess: ingest ``path`` into a fresh SQLite file, print figures as JSON."""
    from readiness.storage.engine import create_engine_for
    from readiness.storage.migrate import upgrade
    from readiness.testhealth.ingest.pipeline import ingest_stream
    from readiness.testhealth.model import RunMeta

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine_for(f"sqlite:///{tmp}/state.db")
        upgrade("state", engine)
        figures: dict[str, float] = {}
        for label, run_id in (("fresh", "1"), ("known_tests", "2"))[: 2 if twice else 1]:
            start = time.perf_counter()
            with path.open("rb") as f:
                result = ingest_stream(
                    engine,
                    f,
                    source=str(path),
                    meta=RunMeta(run_id=run_id),
                    project="bench",
                    now=datetime.now(UTC),
                    infra_failure_ratio=0.5,
                    infra_min_tests=100,
                )
            seconds = time.perf_counter() - start
            figures[f"ingest_{label}_results_per_s"] = round(result.results / seconds)
            figures[f"ingest_{label}_s"] = round(seconds, 3)
            figures["results"] = result.results
        engine.dispose()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["vm_hwm_mb"] = _vm_hwm_mb()
    print(json.dumps(figures))


def _vm_hwm_mb() -> float:
    """Peak RSS of this process image only (Linux keeps ru_maxrss across fork+exec)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return -1.0
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return -1.0


def run_child(path: Path, *, twice: bool) -> dict[str, float]:
    args = [sys.executable, __file__, "--child-ingest", str(path)]
    if twice:
        args.append("--twice")
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def _median_rate(runs: list[tuple[int, float]]) -> float:
    return statistics.median(n / seconds for n, seconds in runs)


def _pure_python(path: Path) -> tuple[int, float]:
    """Our reader without the C accelerator (what a plain ``pip install readiness`` runs)."""
    from readiness.testhealth.junit import fast as junit_fast

    saved, junit_fast._speedups = junit_fast._speedups, None
    try:
        return parse_ours(path)
    finally:
        junit_fast._speedups = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (medians)")
    parser.add_argument("--big", action="store_true", help="also ingest a ~200 MB file for RSS")
    parser.add_argument("--child-ingest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--twice", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        ingest_child(args.child_ingest, args.twice)
        return

    path = DATA / f"junit_{args.cases}.xml"
    if not path.exists():
        generate(path, args.cases)
    # Ingest first, in children started while this process is still small: Linux carries the
    # parent's RSS high-water mark into a forked child's ru_maxrss.
    ingests = [run_child(path, twice=True) for _ in range(args.repeat)]
    big_figures = run_child(_big_file(), twice=False) if args.big else None
    # Interleaved, so that a slow spell of this shared machine hits both readers alike.
    ours, pure, peer = [], [], []
    for _ in range(args.repeat):
        ours.append(parse_ours(path))
        pure.append(_pure_python(path))
        peer.append(parse_junitparser(path))
    exact_n, exact_s = parse_ours(path, fast=False)
    cases_n, cases_s = parse_ours_cases(path)
    defused_n, defused_s = parse_defusedxml(path)
    ours_rate, pure_rate, peer_rate = map(_median_rate, (ours, pure, peer))

    def median(key: str) -> float:
        return statistics.median(float(figures[key]) for figures in ingests)

    report: dict[str, object] = {
        "benchmark": "junit_ingest",
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "cases": ours[0][0],
        "repeat": args.repeat,
        "ours_parse_cases_per_s": round(ours_rate),
        "junitparser_cases_per_s": round(peer_rate),
        "ours_over_junitparser": round(ours_rate / peer_rate, 2),
        "ours_pure_python_cases_per_s": round(pure_rate),
        "ours_pure_python_over_junitparser": round(pure_rate / peer_rate, 2),
        "ours_exact_path_cases_per_s": round(exact_n / exact_s),
        "ours_iter_cases_per_s": round(cases_n / cases_s),
        "defusedxml_iterparse_cases_per_s": round(defused_n / defused_s),
        "ingest_fresh_sqlite_results_per_s": round(median("ingest_fresh_results_per_s")),
        "ingest_known_tests_results_per_s": round(median("ingest_known_tests_results_per_s")),
        "ingest_fresh_s": median("ingest_fresh_s"),
        "ingest_known_tests_s": median("ingest_known_tests_s"),
        "ingest_peak_rss_mb": max(float(f["peak_rss_mb"]) for f in ingests),
        "ingest_vm_hwm_mb": max(float(f["vm_hwm_mb"]) for f in ingests),
    }
    if big_figures is not None:
        report |= {
            "big_file_mb": round(_big_file().stat().st_size / 1e6, 1),
            "big_results": big_figures["results"],
            "big_ingest_results_per_s": big_figures["ingest_fresh_results_per_s"],
            "big_ingest_peak_rss_mb": big_figures["peak_rss_mb"],
            "big_ingest_vm_hwm_mb": big_figures["vm_hwm_mb"],
        }
    print(json.dumps(report))


def _big_file() -> Path:
    big = DATA / "junit_big.xml"
    if not big.exists():
        # 400k cases with ~400 bytes of captured output each: about 220 MB.
        generate(big, 400_000, out_bytes=384)
    return big


if __name__ == "__main__":
    main()
