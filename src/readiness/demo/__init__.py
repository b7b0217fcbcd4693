"""``readiness demo``: a realistic CI history of the bundled example service, then the findings.

The example's pytest suite really runs (in subprocesses, with the Readiness pytest plugin writing
JUnit XML including reruns); environment switches reproduce what CI sees over two weeks: a race
that fails now and then, a test-order pollution, an infrastructure outage, a regression that
breaks a test for good, and a pull request that adds a flaky test. Everything is deterministic.

``history`` plans and runs the CI history, ``shop`` records what the shop's other features
leave (audit events, contracts, a pending migration), ``run`` puts it together and ``report``
says what was found.
"""

from __future__ import annotations

from readiness.demo.history import example_source, history_start
from readiness.demo.report import DemoReport, next_commands, render_demo_text
from readiness.demo.run import run_demo

__all__ = [
    "DemoReport",
    "example_source",
    "history_start",
    "next_commands",
    "render_demo_text",
    "run_demo",
]
