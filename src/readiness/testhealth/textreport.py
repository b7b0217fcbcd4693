"""Text rendering of testhealth results for the terminal (rich), from their JSON views."""

from __future__ import annotations

import textwrap
from typing import Any

from rich.console import Console
from rich.text import Text

from readiness._common.words import plural

STATUS_STYLE = {
    "broken": "bold red",
    "flaky": "yellow",
    "quarantined": "magenta",
    "fixed": "green",
    "healthy": "green",
}
SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """A one-line trend: ▁ for the smallest value, █ for the largest."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(
        SPARK[min(len(SPARK) - 1, int((v - low) / span * (len(SPARK) - 1)))] for v in values
    )


def render_flaky_table(found: list[dict[str, Any]], console: Console) -> None:
    """The flaky/broken/quarantined list, one block per test, from the tests' JSON views.

    The test id has a line of its own (never cut, however narrow the terminal); its figures
    follow in the words :func:`~readiness.testhealth.views.figures_sentence` gives every
    surface. Ids, rules and messages are printed as data, never read as rich markup.
    """
    from readiness.testhealth.views import figure_cells, figures_sentence

    if not found:
        console.print("No flaky or broken tests.", markup=False)
        return
    width = max(len(h["status"]) for h in found)
    indent = " " * (width + 2)
    for h in found:
        head = Text(f"{h['status']:<{width}}", style=STATUS_STYLE.get(h["status"], ""))
        head.append("  ")
        head.append(h["test_id"], style="bold")
        if h.get("is_new"):
            head.append(" (new)", style="dim")
        console.print(head, soft_wrap=True)
        console.print(Text(indent + figures_sentence(figure_cells(h))), soft_wrap=True)
        if h.get("impact"):
            _print_impact(h["impact"], console, indent)
        rules = ", ".join(r["rule"] for r in h["rules"]) or "-"
        console.print(Text(f"{indent}rules: {rules}"), soft_wrap=True)


def render_report(report: dict[str, Any], console: Console) -> None:
    """The five suite-health metrics, slowest tests and co-failure clusters."""
    health = report.get("suite_health") or {}
    trend = health.get("duration_trend") or []
    if trend:
        last = trend[-1]
        console.print(
            f"  suite duration p50 {last['p50_s']:.1f}s, p95 {last['p95_s']:.1f}s "
            f"(last day), trend {sparkline([p['p50_s'] for p in trend])}"
        )
    console.print(
        f"  flaky run rate {health.get('flaky_run_rate', 0):.1%} "
        f"({health.get('flaky_runs', 0)} of {plural(health.get('runs', 0), 'run')} failed on a "
        "commit that later passed)"
    )
    sizes = [p["size"] for p in health.get("quarantine_trend") or []]
    if sizes:
        console.print(
            f"  quarantine size {sizes[-1]} now, trend {sparkline([float(s) for s in sizes])}"
        )
    console.print(
        f"  CI retry rate {health.get('ci_retry_rate', 0):.1%} of "
        f"{plural(health.get('ci_runs', 0), 'CI run')}; "
        f"in-run rerun rate {health.get('rerun_rate', 0):.1%}"
    )
    mttf = health.get("mean_time_to_fix_s")
    console.print(
        "  mean time to fix a flaky test: "
        + (
            f"{mttf / 3600:.1f} h over {plural(health.get('fixes', 0), 'fix')}"
            if mttf
            else "no fix yet"
        )
    )
    slow = health.get("slow_tests") or []
    if slow:
        take = "takes" if len(slow) == 1 else "take"
        share = health.get("slow_runtime_share", 0)
        console.print(
            f"  slowest {plural(len(slow), 'test')} {take} {share:.0%} of the suite's runtime:"
        )
        for s in slow[:5]:
            console.print(f"    {s['mean_duration_s']:.2f}s  {s['test_key']}", markup=False)
    for cluster in report.get("clusters") or []:
        console.print(
            f"  co-failing cluster of {plural(len(cluster['tests']), 'test')} in "
            f"{plural(len(cluster['runs']), 'run')}: {', '.join(cluster['tests'][:4])}",
            markup=False,
        )


def _wrap(parts: list[str], width: int, indent: str) -> list[str]:
    """``parts`` joined by `` · `` in lines of at most ``width`` columns, each after
    ``indent`` (a part longer than a line gets a line of its own)."""
    lines: list[str] = []
    line = ""
    for part in parts:
        joined = f"{line} · {part}" if line else part
        if line and len(indent) + len(joined) > width:
            lines.append(indent + line)
            line = part
        else:
            line = joined
    if line:
        lines.append(indent + line)
    return lines


def _print_impact(impact: dict[str, Any], console: Console, indent: str) -> None:
    """``impact 25.0 · 1 CI run failed · 2 retried · 10 min lost · 1 PR · 2 branches · last
    failed 2026-03-01 11:00``, wrapped to the terminal at `` · ``."""
    from readiness.testhealth.views import impact_cells

    cells = impact_cells(impact)
    parts = [f"impact {cells['score']}"]
    parts += [cells[k] for k in ("failed", "retried", "lost", "prs", "branches")]
    parts.append(f"last failed {cells['last_failed']}")
    for line in _wrap(parts, max(40, console.width), indent):
        console.print(Text(line), soft_wrap=True)


def render_triage(view: dict[str, Any], console: Console) -> None:
    """``tests show``: the test's impact, then flaky system or flaky test with its signals."""
    impact = view.get("impact")
    if impact:
        _print_impact(impact, console, "  ")
        named = [f"PRs {', '.join(impact['prs'])}"] if impact.get("prs") else []
        named += [f"branches {', '.join(impact['branches'])}"] if impact.get("branches") else []
        for line in _wrap(named, max(40, console.width), "    "):
            console.print(Text(line), soft_wrap=True)
    signals = view.get("signals")
    if not signals:
        return
    width = max(40, console.width)
    head = f"flaky system or flaky test? {signals['explanation']}"
    for line in textwrap.wrap(head, width, initial_indent="  ", subsequent_indent="    "):
        console.print(Text(line), soft_wrap=True)
    for s in signals["signals"]:
        text = f"• {s['name']} ({s['lean']}): {s['explanation']}"
        for line in textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="      "):
            console.print(Text(line), soft_wrap=True)
