"""What the demo found, as data and in words, and the commands it suggests next."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from readiness._common.canonical import to_jsonable
from readiness._common.words import plural
from readiness.config import Settings
from readiness.demo.history import FLAKY_TEST
from readiness.demo.shop import SUBJECT


@dataclass
class DemoReport:
    directory: Path
    settings: Settings
    token: str
    ingested: list[dict[str, Any]] = field(default_factory=list)
    flaky: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    gate_text: str = ""
    audit: dict[str, Any] = field(default_factory=dict)
    migrations: dict[str, Any] = field(default_factory=dict)
    contracts: dict[str, Any] = field(default_factory=dict)
    logs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_jsonable(
            {
                "directory": str(self.directory),
                "admin_token": self.token,
                "runs": len(self.ingested),
                "ingested": self.ingested,
                "flaky": self.flaky,
                "quarantine": self.quarantine,
                "report": self.report,
                "gate": self.gate,
                "audit": self.audit,
                "migrations": self.migrations,
                "next_commands": next_commands(self.directory),
            }
        )
        return data


def render_demo_text(report: DemoReport, console: Console) -> None:
    """What a user should see after the demo, in words."""
    from rich.markup import escape

    from readiness.testhealth.textreport import render_flaky_table, render_report

    # The shared console reads no markup; these headings ask for it, over escaped data.
    console.print(
        f"\n[bold]Readiness demo[/] — project in {escape(str(report.directory))}", markup=True
    )
    runs = len(report.ingested)
    infra = sum(1 for r in report.ingested if r["infra_failure"])
    results = sum(r["results"] for r in report.ingested)
    console.print(
        f"Ingested {plural(runs, 'CI run')} ({plural(results, 'test result')}); "
        f"{plural(infra, 'infrastructure-failure run')} left out of every statistic."
    )
    console.print("\n[bold]Tests that need attention[/]", markup=True)
    render_flaky_table(report.flaky, console)
    console.print("\n[bold]Suite health[/]", markup=True)
    render_report(report.report, console)
    gate_text = escape(report.gate_text)
    console.print(
        f"\n[bold]Merge gate for the pull request[/] (feature/invoices)\n{gate_text}", markup=True
    )
    audit = report.audit
    console.print("\n[bold]Audit trail[/]", markup=True)
    console.print(
        f"{plural(audit['events'], 'shop audit event')} and the platform's own actions in a "
        f"Merkle log of {plural(audit['size'], 'entry')}; checkpoint signed at size "
        f"{audit['checkpoint_size']} and written outside the database; "
        + ("verified." if audit["verified"] else f"NOT verified: {'; '.join(audit['errors'])}"),
        markup=False,
    )
    console.print("\n[bold]Migrations[/] (release 1.4, pending)", markup=True)
    for f in report.migrations.get("findings", []):
        console.print(
            f"{f['file']}:{f['line']}: {f['severity']} [{f['rule']}] {f['message']}; lock "
            f"{f['lock'] or 'none'}, rollback-safe: {'yes' if f['rollback_safe'] else 'no'}",
            markup=False,
        )
    contracts = report.contracts
    if contracts:
        console.print("\n[bold]Contracts[/]", markup=True)
        proposed = contracts["proposed"]
        console.print(
            f"{contracts['subject']}: {plural(contracts['versions'], 'version')} registered; the "
            f"pull request's order-placed-v3.json is "
            + ("compatible." if proposed["compatible"] else f"NOT {proposed['mode']} compatible:"),
            markup=False,
        )
        for message in proposed["messages"]:
            console.print(f"  {message}", markup=False)
        for version, decision in contracts["can_i_deploy"].items():
            verdict = "yes" if decision["deployable"] else "no"
            console.print(
                f"can-i-deploy shop-web {version} to production: {verdict} — {decision['reason']}",
                markup=False,
            )
    if report.logs:
        console.print("\n[bold]Logging[/]", markup=True)
        for f in report.logs["findings"]:
            console.print(
                f"{f['file']}:{f['line']}: {f['severity']} [{f['rule']}] {f['message']}",
                markup=False,
            )
        console.print(f"what it writes through readiness.logs: {report.logs['line']}", markup=False)
    console.print("\nTry next (each line is a command to paste):", markup=False)
    for command in next_commands(report.directory):
        console.print(f"  {command}", markup=False)
    console.print(f"Admin token for the dashboard: {report.token}", markup=False)


# A victim of test-order pollution in the example: `tests classify` finds its polluter.
ORDER_VICTIM = "tests/test_currency.py::test_prices_default_to_usd"


def next_commands(directory: Path) -> list[str]:
    """The commands the demo suggests, quoted for a POSIX shell (paths may hold spaces)."""
    where = ["readiness", "-C", str(directory)]
    return [
        shlex.join([*where, "tests", "flaky"]),
        shlex.join([*where, "tests", "show", FLAKY_TEST]),
        shlex.join([*where, "tests", "classify", ORDER_VICTIM]),
        shlex.join([*where, "audit", "verify"]),
        shlex.join([*where, "audit", "timeline", "order", "ord_1001"]),
        shlex.join([*where, "migrations", "lint"]),
        shlex.join([*where, "logs", "lint"]),
        shlex.join(
            [
                *where,
                "contracts",
                "schema",
                "check",
                SUBJECT,
                str(directory / "contracts" / "order-placed-v3.json"),
            ]
        ),
        shlex.join(
            [
                *where,
                "contracts",
                "can-i-deploy",
                "--pacticipant",
                "shop-web",
                "--version",
                "1.1.0",
                "--to-environment",
                "production",
            ]
        ),
        shlex.join([*where, "serve"]),
    ]
