"""Write big synthetic pytest-style JUnit XML files for the ingest benchmark.

Deterministic (seeded) so runs compare: ~1% failures with tracebacks, ~2% skips, ~0.5% of the
tests rerun by pytest-rerunfailures, and an optional ``<system-out>`` padding per case to reach
a target file size without changing the number of cases.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from xml.sax.saxutils import quoteattr

DATA = Path(__file__).parent / "_data"

_FAILURE = (
    '      <failure message="assert 200 == 500">self = &lt;tests.test_m{m}.TestC{c} object at '
    "0x7f{r:06x}&gt;\n\n    def test_{t}(self):\n&gt;       assert resp.status == 200\n"
    "E       assert 200 == 500\n\ntests/test_m{m}.py:{line}: AssertionError</failure>\n"
)


def generate(path: Path, cases: int, *, out_bytes: int = 0, seed: int = 7) -> int:
    """Write a report with ``cases`` testcase elements; returns the number of results written."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    padding = ("x" * 63 + "\n") * (out_bytes // 64) if out_bytes else ""
    results = 0
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest tests">\n')
        f.write(
            '  <testsuite name="pytest" errors="0" failures="0" skipped="0" '
            f'tests="{cases}" time="1.0" timestamp="2026-03-10T09:00:00+00:00" hostname="ci">\n'
            '    <properties><property name="random_seed" value="12345"/></properties>\n'
        )
        written = 0
        i = 0
        while written < cases:
            m, c, t = i // 500, (i // 25) % 20, i
            classname = f"tests.test_m{m}.TestC{c}"
            attrs = (
                f"classname={quoteattr(classname)} name={quoteattr(f'test_{t}[p{i % 7}]')} "
                f'file="tests/test_m{m}.py" line="{i % 400}"'
            )
            roll = rng.random()
            reruns = 1 if roll < 0.005 else 0
            for _ in range(reruns):
                f.write(f'    <testcase {attrs} time="0.010"/>\n')
                written += 1
            duration = f"{rng.random() / 10:.3f}"
            if roll < 0.015:
                body = _FAILURE.format(m=m, c=c, r=rng.randrange(1 << 24), t=t, line=i % 400)
            elif roll < 0.035:
                body = '      <skipped type="pytest.skip" message="needs postgres">x</skipped>\n'
            else:
                body = ""
            if padding:
                body += f"      <system-out>{padding}</system-out>\n"
            if body:
                f.write(f'    <testcase {attrs} time="{duration}">\n{body}    </testcase>\n')
            else:
                f.write(f'    <testcase {attrs} time="{duration}"/>\n')
            written += 1
            i += 1
        results = written
        f.write("  </testsuite>\n</testsuites>\n")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cases", type=int)
    parser.add_argument("--out-bytes", type=int, default=0, help="system-out padding per case")
    parser.add_argument("--path", type=Path, default=DATA / "junit.xml")
    args = parser.parse_args()
    n = generate(args.path, args.cases, out_bytes=args.out_bytes)
    print(f"{args.path}: {n} results, {args.path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
