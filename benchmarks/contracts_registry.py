"""The schema registry's compatibility engines against their peers (issue 10's speed targets).

Pairs: ``benchmarks/_schema_pairs.py`` (seeded) makes event schemas of 16, 115 and 1,640
fields and a realistic change mix, rendered alike as JSON Schema and as Avro. One check is
FULL: both directions (reader=new/writer=old, then reader=old/writer=new). Figures are the
median microseconds per pair of:

- ``ours_json``: ``json_schema.check`` on the JSON Schema documents;
- ``avro``: the ``avro`` package's ``ReaderWriterCompatibilityChecker`` on the Avro schemas,
  parsed beforehand (``avro.schema.parse``, not timed);
- ``ours_avro``: ``avro_schema.check`` on the Avro documents (its fastavro parse is timed);
- ``jsoncompat`` (Rust, Python >= 3.12): ``check_compat`` with the roles ``deserializer``
  (BACKWARD) and ``serializer`` (FORWARD) on the JSON Schema pairs, run in a Python 3.12
  virtualenv it creates on first use under the cache folder (``--cache``); reported
  ``unavailable`` with the reason when it cannot be installed.

Targets: ``ours_json`` within 1.5x of ``avro``; ``ours_avro`` at least as fast as ``avro``.
``disagreements`` lists each (size, pair, direction) where jsoncompat's verdict and ours differ,
with the changes of that pair and our first reason.

Prints one JSON line.

    .venv/bin/python benchmarks/contracts_registry.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _schema_pairs

from readiness.contracts.schemas.core import avro_schema, json_schema

SIZES = (16, 115, 1640)
PY312 = "/root/.pyenv/versions/3.12.1/bin/python"
_JC_SCRIPT = r"""
import json, sys, time
import jsoncompat
pairs = json.load(sys.stdin)
repeat = int(sys.argv[1])
out = []
for old, new in pairs:
    a, b = json.dumps(old), json.dumps(new)
    backward = jsoncompat.check_compat(a, b, "deserializer")
    forward = jsoncompat.check_compat(a, b, "serializer")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jsoncompat.check_compat(a, b, "deserializer")
        jsoncompat.check_compat(a, b, "serializer")
        times.append(time.perf_counter() - t0)
    out.append({"backward": backward, "forward": forward, "times": times})
json.dump(out, sys.stdout)
"""


def _median_us(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def _jsoncompat_python(cache: Path) -> tuple[str | None, str]:
    venv = cache / "jsoncompat-venv"
    python = venv / "bin" / "python"
    if python.exists():
        return str(python), ""
    uv = shutil.which("uv")
    if uv is None or not Path(PY312).exists():
        return None, "needs uv and Python 3.12 at " + PY312
    try:
        subprocess.run(
            [uv, "venv", "-q", "-p", PY312, str(venv)], check=True, capture_output=True, timeout=300
        )
        subprocess.run(
            [uv, "pip", "install", "-q", "-p", str(python), "jsoncompat"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"could not install jsoncompat: {str(exc)[:200]}"
    return str(python), ""


def _jsoncompat(python: str, pairs: list[_schema_pairs.Pair], repeat: int) -> list[dict[str, Any]]:
    data = json.dumps([[p.json_old, p.json_new] for p in pairs])
    done = subprocess.run(
        [python, "-c", _JC_SCRIPT, str(repeat)],
        input=data,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def _ours_json(p: _schema_pairs.Pair) -> object:
    return (
        json_schema.check(p.json_new, p.json_old),
        json_schema.check(p.json_old, p.json_new),
    )


def _avro_peer(checker: Any, old: Any, new: Any) -> object:
    # a fresh checker per check: one instance memoises its answers
    return (checker().get_compatibility(new, old), checker().get_compatibility(old, new))


def _ours_avro(p: _schema_pairs.Pair) -> object:
    return (avro_schema.check(p.avro_new, p.avro_old), avro_schema.check(p.avro_old, p.avro_new))


def _edge_disagreements(python: str) -> list[dict[str, Any]]:
    """The hand-made edge cases (``_schema_pairs.EDGE_CASES``) where jsoncompat and ours differ."""
    cases = list(_schema_pairs.EDGE_CASES.items())
    pairs = [_schema_pairs.Pair(0, [name], old, new, {}, {}) for name, (old, new, _why) in cases]
    theirs = _jsoncompat(python, pairs, 1)
    out = []
    for (name, (old, new, why)), verdict in zip(cases, theirs, strict=True):
        for label, found, ok in (
            ("BACKWARD", json_schema.check(new, old), verdict["backward"]),
            ("FORWARD", json_schema.check(old, new), verdict["forward"]),
        ):
            if (not found) != bool(ok):
                out.append(
                    {
                        "case": name,
                        "direction": label,
                        "ours": not found,
                        "jsoncompat": bool(ok),
                        "our_reasons": sorted({f.kind for f in found}),
                        "why": why,
                    }
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=8, help="pairs per size (default: 8)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per pair (default: 15)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "readiness-bench",
        help="where the jsoncompat virtualenv is made (default: ~/.cache/readiness-bench)",
    )
    args = parser.parse_args()

    import avro.compatibility
    import avro.schema

    checker: Any = avro.compatibility.ReaderWriterCompatibilityChecker
    jc_python, jc_reason = _jsoncompat_python(args.cache)
    sizes: dict[str, Any] = {}
    disagreements: list[dict[str, Any]] = []
    for size in SIZES:
        pairs = _schema_pairs.pairs(size, args.pairs)
        repeat = max(3, args.repeat // (4 if size > 1000 else 1))
        ours_json, peer, ours_avro = [], [], []
        verdicts = []
        for p in pairs:
            ao = avro.schema.parse(json.dumps(p.avro_old))
            an = avro.schema.parse(json.dumps(p.avro_new))
            ours_json.append(_median_us(partial(_ours_json, p), repeat))
            peer.append(_median_us(partial(_avro_peer, checker, ao, an), repeat))
            ours_avro.append(_median_us(partial(_ours_avro, p), repeat))
            verdicts.append(
                (
                    json_schema.check(p.json_new, p.json_old),
                    json_schema.check(p.json_old, p.json_new),
                )
            )
        entry: dict[str, Any] = {
            "fields": [p.fields for p in pairs][:1][0],
            "pairs": len(pairs),
            "ours_json_us": round(statistics.median(ours_json), 1),
            "avro_us": round(statistics.median(peer), 1),
            "ours_avro_us": round(statistics.median(ours_avro), 1),
        }
        entry["json_vs_avro"] = round(entry["ours_json_us"] / entry["avro_us"], 2)
        entry["ours_avro_vs_avro"] = round(entry["ours_avro_us"] / entry["avro_us"], 2)
        if jc_python is not None:
            try:
                jc = _jsoncompat(jc_python, pairs, 1 if size > 1000 else repeat)
            except (subprocess.SubprocessError, OSError, ValueError) as exc:
                jc_python, jc_reason = None, f"jsoncompat failed: {str(exc)[:200]}"
            else:
                entry["jsoncompat_us"] = round(
                    statistics.median(statistics.median(r["times"]) * 1e6 for r in jc), 1
                )
                for i, (p, mine, theirs) in enumerate(zip(pairs, verdicts, jc, strict=True)):
                    for label, found, ok in (
                        ("BACKWARD", mine[0], theirs["backward"]),
                        ("FORWARD", mine[1], theirs["forward"]),
                    ):
                        if (not found) != bool(ok):
                            disagreements.append(
                                {
                                    "fields": size,
                                    "pair": i,
                                    "direction": label,
                                    "ours": not found,
                                    "jsoncompat": bool(ok),
                                    "changes": p.changes,
                                    "our_reasons": sorted({f.kind for f in found}),
                                }
                            )
        sizes[str(size)] = entry
    if jc_python is not None:
        disagreements += _edge_disagreements(jc_python)
    result = {
        "benchmark": "contracts_registry",
        "unit": "median microseconds per pair, FULL check (both directions)",
        "sizes": sizes,
        "targets": {
            "json_within_1_5x_of_avro": all(e["json_vs_avro"] <= 1.5 for e in sizes.values()),
            "ours_avro_at_least_as_fast": all(
                e["ours_avro_vs_avro"] <= 1.0 for e in sizes.values()
            ),
        },
        "jsoncompat": "measured" if jc_python is not None else f"unavailable: {jc_reason}",
        "disagreements": disagreements,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
