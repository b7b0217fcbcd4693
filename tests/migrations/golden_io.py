"""Golden files: ``golden/<case>.sql`` (first line ``-- options: ...``) and the exact findings
expected in ``golden/<case>.expected``."""

from __future__ import annotations

from pathlib import Path

from readiness.migrations.lint import LintOptions, lint_paths

GOLDEN = Path(__file__).parent / "golden"


def options_of(sql: Path) -> LintOptions:
    first = sql.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("-- options:"), f"{sql.name}: first line must be -- options: ..."
    words = first.removeprefix("-- options:").split()
    pg = next((int(w.split("=")[1]) for w in words if w.startswith("pg-version=")), 15)
    return LintOptions(pg_version=pg, runner_transaction="runner-transaction" in words)


def render(sql: Path) -> str:
    """The findings of one golden input, one line each, as the .expected file holds them."""
    report = lint_paths([sql], options_of(sql))
    lines = [
        f"{f.line}:{f.column} {f.rule} {f.severity.label} lock={f.lock} "
        f"rewrites={f.rewrites} rollback_safe={f.rollback_safe}"
        for f in report.findings
    ]
    lines += [f"{e.line}:{e.column} parse-error {e.reason}" for e in report.errors]
    return "\n".join(lines) + "\n"


def cases() -> list[Path]:
    return sorted(GOLDEN.glob("*.sql"))


if __name__ == "__main__":  # regenerate: python -m tests.migrations.golden_io
    for case in cases():
        case.with_suffix(".expected").write_text(render(case), encoding="utf-8")
