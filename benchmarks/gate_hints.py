"""The merge gate on 5,000 new tests: the determinism-hints step and the whole gate.

Generates a project of ``--files`` test modules (default 100) holding ``--tests`` tests in all
(default 5,000: module functions, class methods, parametrised tests, a few sleeps, clocks and
module state), ingests one run of them for commit ``head`` into a fresh SQLite project, then
times:

- the hints step, ``source_hints`` (each file parsed once), against the per-test approach it
  replaced (read and parse the test's file again for every test), kept below as the peer;
- the whole merge gate (``run_gate_for``), once with each of the two hint functions.

Prints one JSON line: wall and CPU seconds (the CPU time of this process, which a busy shared
machine disturbs less), medians of ``--repeat`` runs (the per-test peer runs once: it is the
slow one). The peer also shares the new node walk, so its gap is what parsing once saves.

    .venv/bin/python benchmarks/gate_hints.py [--tests 5000] [--files 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from readiness._common.clock import SystemClock
from readiness.config import load_settings
from readiness.gate.model import Gate
from readiness.gate.service import run_gate_for
from readiness.storage import open_stores
from readiness.testhealth.experiments import hints
from readiness.testhealth.model import Hint, RunMeta, TestHints
from readiness.testhealth.service import TestHealthService
from readiness.testing import junit_xml

HEADER = """\
import random
import time
from datetime import datetime

import pytest

SEEN = []
LIMIT = 3


"""


def module_source(n_tests: int, module: int) -> tuple[str, list[str]]:
    """Source of one test module with ``n_tests`` tests, and their node ids (bar the file)."""
    parts = [HEADER]
    names: list[str] = []
    in_class = n_tests // 3
    parts.append(f"class TestGroup{module}:\n")
    for t in range(in_class):
        body = "time.sleep(0.1)" if t % 10 == 0 else f"assert {t} + 1 == {t + 1}"
        parts.append(
            f"    def test_method_{t}(self):\n        value = {t} * 2\n        {body}\n"
            f"        assert value >= 0\n\n"
        )
        names.append(f"TestGroup{module}::test_method_{t}")
    parts.append("\n")
    params = 4
    for t in range(n_tests - in_class - params):
        body = "SEEN.append(datetime.now())" if t % 15 == 0 else f"assert len('{t}') > 0"
        parts.append(
            f"def test_function_{t}():\n    items = list(range({t % 7}))\n    {body}\n"
            f"    assert len(items) < 8\n\n\n"
        )
        names.append(f"test_function_{t}")
    parts.append(
        '@pytest.mark.parametrize("value", ["a.b", "x::y", "/etc/hosts", "plain"])\n'
        "def test_params(value):\n    assert random.random() < 2\n"
    )
    names += [f"test_params[{p}]" for p in ("a.b", "x::y", "/etc/hosts", "plain")]
    return "".join(parts), names


def generate(root: Path, n_tests: int, n_files: int) -> list[str]:
    """Write the project under ``root``; returns every test id."""
    (root / "tests").mkdir(parents=True)
    ids: list[str] = []
    for module in range(n_files):
        count = n_tests // n_files + (1 if module < n_tests % n_files else 0)
        source, names = module_source(count, module)
        relative = f"tests/test_module_{module}.py"
        (root / relative).write_text(source, encoding="utf-8")
        ids += [f"{relative}::{name}" for name in names]
    return ids


# --- the per-test approach the gate used before (the peer) ------------------------------------


def _find(
    module: ast.Module, function: str, class_name: str | None
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    scope: list[ast.stmt] = module.body
    if class_name is not None:
        classes = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == class_name]
        if not classes:
            return None
        scope = classes[0].body
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            return node
    return None


def per_test_source_hints(root: Path, test_ids: Iterable[str]) -> dict[str, TestHints]:
    """The replaced approach: every test reads, parses and walks its whole file again."""
    out: dict[str, TestHints] = {}
    for test_id in test_ids:
        relative = test_id.split("::", 1)[0]
        path = root / relative
        if not (path.is_file() and path.suffix == ".py"):
            continue
        parts = test_id.split("::")
        function_name = parts[-1].split("[", 1)[0]
        class_name = parts[-2] if len(parts) > 2 else None
        source = path.read_text(encoding="utf-8")
        module = ast.parse(source)
        function = _find(module, function_name, class_name)
        if function is None:
            continue
        visitor = hints._Visitor(hints._aliases(module), source.splitlines())
        for statement in [*function.body, *function.decorator_list]:
            visitor.scan(statement)
        if not visitor.seeded:
            for line in visitor.random_calls:
                visitor.add("unseeded-random", line)
        for name, (line, _kind) in hints._module_state(module).items():
            if name in visitor.names:
                visitor.add("module-state", line)
        found: tuple[Hint, ...] = tuple(
            sorted(visitor.hints.values(), key=lambda h: (h.line, h.kind))
        )
        if found:
            out[test_id] = TestHints(file=relative, hints=found)
    return out


# --- measuring ---------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``repeat`` calls of ``fn``, and its last result.

    CPU seconds (this process) are reported too because the wall clock of a shared machine
    measures its other tenants as much as this code.
    """
    wall: list[float] = []
    cpu: list[float] = []
    result: Any = None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu), result


def ingest_head(root: Path, ids: list[str]) -> None:
    settings = load_settings(root, environ={})
    stores = open_stores(settings)
    try:
        service = TestHealthService(settings=settings, stores=stores, clock=SystemClock())
        service.ingest_bytes(
            junit_xml(dict.fromkeys(ids, "passed")),
            source="report.xml",
            meta=RunMeta(commit="head", branch="feature", run_id="ci-1"),
        )
    finally:
        stores.dispose()


def gate(root: Path) -> dict[str, str]:
    settings = load_settings(root, environ={})
    report = run_gate_for(
        Gate.MERGE, settings=settings, clock=SystemClock(), head="head", timer=time.perf_counter
    )
    return {o.id: o.result.status.value for o in report.outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args, _ = parser.parse_known_args()  # `./run bench` passes its own arguments to every script
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ids = generate(root, args.tests, args.files)
        ingest_head(root, ids)
        hints_s, hints_cpu, found = timed(lambda: hints.source_hints(root, ids), args.repeat)
        peer_s, peer_cpu, peer_found = timed(lambda: per_test_source_hints(root, ids), 1)
        gate_s, gate_cpu, statuses = timed(lambda: gate(root), args.repeat)
        real = hints.source_hints
        hints.source_hints = per_test_source_hints  # what the gate calls through the service
        try:
            peer_gate_s, peer_gate_cpu, _ = timed(lambda: gate(root), 1)
        finally:
            hints.source_hints = real
    figures = {
        "benchmark": "gate_hints",
        "tests": len(ids),
        "files": args.files,
        "hinted_tests": len(found),
        # The per-test peer cannot locate ids whose parameters hold "::" (it raised there).
        "peer_hinted_tests": len(peer_found),
        "same_hints_where_peer_found_them": all(found.get(k) == v for k, v in peer_found.items()),
        "hints_s": round(hints_s, 3),
        "hints_cpu_s": round(hints_cpu, 3),
        "hints_per_test_peer_s": round(peer_s, 3),
        "hints_per_test_peer_cpu_s": round(peer_cpu, 3),
        "gate_s": round(gate_s, 3),
        "gate_cpu_s": round(gate_cpu, 3),
        "gate_with_per_test_hints_peer_s": round(peer_gate_s, 3),
        "gate_with_per_test_hints_peer_cpu_s": round(peer_gate_cpu, 3),
        "gate_statuses": statuses,
        "python": sys.version.split()[0],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
