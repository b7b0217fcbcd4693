"""``readiness logs scan`` throughput (MB/s, one core), next to a plain-regex grep in the same run.

Two log files are generated in a temporary directory (seeded):

- ``service``: what a service writes through ``readiness.logs``: JSON lines with the baseline
  fields (timestamp, level, service, trace and span ids, request id, action, duration) and a
  message; 2% of them leak a value of ``benchmarks/_pii_corpus.py``;
- ``dense``: the labelled lines of the detection benchmark, each holding a PII value or a hard
  negative (trace ids, UUIDs, hashes...): the worst case.

``ours`` is the command's own path (``scan_files``: read, decode, parse JSON, key rules,
detectors, validators, masked findings), with and without writing the redacted copy. The peer,
``plain_regex``, greps each line with the same detector patterns and nothing else (no JSON, no
validators, no copy): the floor of any regex scanner in Python. Best of ``--repeat`` rounds, in
CPU time of this process (one core, whatever else runs on the machine).

    .venv/bin/python benchmarks/logs_scan.py [--mb 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pii_corpus import generate

from readiness.logcheck.cli_scan import atomic_text, scan_files
from readiness.logs.redaction import default_detectors, gates
from readiness.logs.scan import LogScanner

ACTIONS = ("order.placed", "payment.captured", "cart.updated", "user.login", "stock.reserved")


def _service_lines(target_bytes: int, seed: int) -> list[str]:
    r = random.Random(seed)
    leaks = [s.text for s in generate(2000, seed)]
    lines, size = [], 0
    while size < target_bytes:
        if r.random() < 0.02:
            line = r.choice(leaks)
        else:
            line = json.dumps(
                {
                    "timestamp": f"2025-03-15T14:{r.randint(10, 59)}:{r.randint(10, 59)}."
                    f"{r.randint(100, 999)}Z",
                    "level": r.choice(("info", "info", "info", "warning", "debug")),
                    "service": "order-service",
                    "environment": "production",
                    "version": "v2.14.3",
                    "trace_id": r.randbytes(16).hex(),
                    "span_id": r.randbytes(8).hex(),
                    "request_id": f"req-{r.randint(10**7, 10**8)}",
                    "action": r.choice(ACTIONS),
                    "duration_ms": round(r.uniform(0.5, 900), 2),
                    "message": f"{r.choice(ACTIONS).split('.')[0]} handled for order "
                    f"ord-{r.randint(10**5, 10**6)} in {r.randint(1, 9)} steps",
                },
                separators=(",", ":"),
            )
        lines.append(line)
        size += len(line) + 1
    return lines


def _dense_lines(target_bytes: int, seed: int) -> list[str]:
    lines, size = [], 0
    samples = generate(20_000, seed)
    while size < target_bytes:
        for s in samples:
            lines.append(s.text)
            size += len(s.text) + 1
            if size >= target_bytes:
                break
    return lines


def _ours(path: Path, out_dir: Path, *, copy: bool) -> tuple[float, int]:
    scanner = LogScanner()
    started = time.process_time()
    if copy:
        with atomic_text(out_dir / "copy.log") as out:
            scan_files([(str(path), path)], scanner, out)
    else:
        scan_files([(str(path), path)], scanner)
    return time.process_time() - started, scanner.report.total


def _plain_regex(path: Path) -> tuple[float, int]:
    patterns = [d.pattern for d in default_detectors()]
    hits = 0
    started = time.process_time()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            for pattern in patterns:
                if pattern.search(line):
                    hits += 1
    return time.process_time() - started, hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    target = int(args.mb * 1_000_000)
    result: dict[str, object] = {
        "benchmark": "logs_scan",
        "cores": 1,
        "gates": "hyperscan" if gates.available() else "python",
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, make in (("service", _service_lines), ("dense", _dense_lines)):
            path = root / f"{name}.log"
            path.write_text("\n".join(make(target, args.seed)) + "\n", encoding="utf-8")
            size = path.stat().st_size
            report = min(_ours(path, root, copy=False) for _ in range(args.repeat))
            copy = min(_ours(path, root, copy=True) for _ in range(args.repeat))
            peer = min(_plain_regex(path) for _ in range(args.repeat))
            result[name] = {
                "mb": round(size / 1e6, 2),
                "lines": sum(1 for _ in path.open(encoding="utf-8")),
                "ours_mb_s": round(size / 1e6 / report[0], 2),
                "ours_with_copy_mb_s": round(size / 1e6 / copy[0], 2),
                "ours_findings": report[1],
                "plain_regex_mb_s": round(size / 1e6 / peer[0], 2),
                "plain_regex_hits": peer[1],
            }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
