"""The gate runner: collect checks from plugins, run them in a stable order, decide the verdict.

Exit codes follow DESIGN.md: ``0`` when the checks that ran passed or warned; ``1`` when a check
failed; ``2`` when the gate cannot vouch for the change: a check could not run (status
``error``: a broken environment), or every check was skipped so nothing was verified. An error
outranks a failure, because a gate whose checks did not all run cannot vouch for anything. A
gate with no checks at all is refused before anything runs (:class:`ConfigError`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import pluggy

from readiness.errors import ConfigError, InputError, ReadinessError
from readiness.gate.model import (
    Check,
    CheckOutcome,
    CheckResult,
    CheckStatus,
    Gate,
    GateContext,
    GateReport,
)

__all__ = [
    "collect_checks",
    "exit_code",
    "require_checks",
    "run_gate",
    "verdict",
    "verdict_reason",
]

_CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_CHECK_ATTRIBUTES = ("id", "title", "checklist_item", "gates", "run")


def collect_checks(pm: pluggy.PluginManager, gate: Gate) -> list[Check]:
    """The checks every registered plugin contributes to ``gate``, sorted by id.

    Checks whose ``gates`` do not include ``gate`` are dropped. Raises :class:`ConfigError`
    when two plugins (or one plugin twice) contribute the same check id, or a contribution is
    not a check.
    """
    owners: dict[str, str] = {}
    checks: list[Check] = []
    for impl in pm.hook.readiness_gate_checks.get_hookimpls():
        if impl.hookwrapper or impl.wrapper:
            continue  # wrappers observe the call; they do not contribute checks
        kwargs: dict[str, Any] = {"gate": gate}
        contributed: Any = impl.function(*(kwargs[name] for name in impl.argnames))
        for check in contributed or ():
            _validate(check, impl.plugin_name)
            if gate not in check.gates:
                continue
            if check.id in owners:
                raise ConfigError(
                    f"gate check id {check.id!r} is contributed by plugin {owners[check.id]!r} "
                    f"and by plugin {impl.plugin_name!r}; ids must be unique: rename one check "
                    "or unregister one plugin"
                )
            owners[check.id] = impl.plugin_name
            checks.append(check)
    return sorted(checks, key=lambda c: c.id)


def _validate(check: object, plugin: str) -> None:
    missing = [name for name in _CHECK_ATTRIBUTES if not hasattr(check, name)]
    if missing:
        raise ConfigError(
            f"plugin {plugin!r} returned {check!r} from readiness_gate_checks, which lacks "
            f"{', '.join(missing)}; return objects implementing readiness.gate.model.Check"
        )
    check_id = getattr(check, "id", None)
    if not isinstance(check_id, str) or not _CHECK_ID.match(check_id):
        raise ConfigError(
            f"plugin {plugin!r} contributed a check with id {check_id!r}; expected dotted "
            "lowercase words such as 'tests.passed'"
        )


def _matches(check_id: str, patterns: Iterable[str]) -> str | None:
    for pattern in patterns:
        if fnmatch.fnmatchcase(check_id, pattern):
            return pattern
    return None


def run_gate(
    gate: Gate,
    checks: Sequence[Check],
    context: GateContext,
    *,
    timer: Callable[[], float],
    select: Sequence[str] = (),
    skip: Sequence[str] = (),
    allow_missing: Sequence[str] = (),
) -> GateReport:
    """Run ``checks`` in id order and report every outcome; never raises for a check.

    ``select`` keeps only checks whose id matches one of its glob patterns (``tests.*``).
    ``skip`` reports matching checks as ``skip`` without running them. ``allow_missing`` turns
    a ``fail`` marked ``missing_evidence`` of a matching check into ``warn``, its summary saying
    which pattern allowed it. A ``select`` or ``allow_missing`` pattern that matches no check
    raises :class:`InputError`, so a typo never runs nothing or allows nothing silently; no
    checks at all raise :class:`ConfigError`. A check that raises becomes ``error`` with the
    exception message as its summary. ``timer`` returns seconds (``time.perf_counter`` in the
    CLI) and measures each check's duration.
    """
    require_checks(gate, checks)
    ordered = sorted(checks, key=lambda c: c.id)
    _require_matches("--select", select, ordered, gate)
    _require_matches("--allow-missing", allow_missing, ordered, gate)
    if select:
        ordered = [c for c in ordered if _matches(c.id, select) is not None]
    outcomes: list[CheckOutcome] = []
    for check in ordered:
        skipped_by = _matches(check.id, skip)
        if skipped_by is not None:
            result = CheckResult(CheckStatus.SKIP, f"skipped by --skip {skipped_by!r}")
            duration = 0.0
        else:
            started = timer()
            result = _allow_missing(_run_one(check, context), check.id, allow_missing)
            duration = max(0.0, timer() - started)
        outcomes.append(
            CheckOutcome(
                id=check.id,
                title=check.title,
                checklist_item=check.checklist_item,
                result=result,
                duration_s=duration,
            )
        )
    return GateReport(gate=gate, outcomes=tuple(outcomes), base=context.base, head=context.head)


def require_checks(gate: Gate, checks: Sequence[Check]) -> None:
    """Raise :class:`ConfigError` when ``gate`` has no checks: an empty gate vouches for nothing."""
    if not checks:
        raise ConfigError(
            f"the {gate} gate has no checks: no installed plugin contributes one; add checks "
            "through a plugin's readiness_gate_checks hook (see 'Contributing checks from a "
            "plugin' in docs/gate.md)"
        )


def _require_matches(
    option: str, patterns: Sequence[str], checks: Sequence[Check], gate: Gate
) -> None:
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(c.id, pattern) for c in checks):
            known = ", ".join(c.id for c in checks)
            raise InputError(
                f"{option} {pattern!r} matches no check of the {gate} gate (checks: {known}); "
                "fix the pattern or drop it"
            )


def _allow_missing(result: CheckResult, check_id: str, patterns: Sequence[str]) -> CheckResult:
    """``result`` as ``warn`` when it is a missing-evidence failure the user allowed."""
    if result.status is not CheckStatus.FAIL or not result.missing_evidence:
        return result
    pattern = _matches(check_id, patterns)
    if pattern is None:
        return result
    return replace(
        result,
        status=CheckStatus.WARN,
        summary=f"{result.summary} (missing evidence allowed by --allow-missing {pattern!r})",
        allowed_by=pattern,
    )


def _run_one(check: Check, context: GateContext) -> CheckResult:
    try:
        result = check.run(context)
    except ReadinessError as exc:
        return _error(str(exc), type(exc).__name__, exc.details)
    except Exception as exc:  # a check must never take the gate down; report it instead
        return _error(f"{type(exc).__name__}: {exc}", type(exc).__name__, {})
    if not isinstance(result, CheckResult):
        return _error(
            f"check {check.id!r} returned {type(result).__name__}, expected a CheckResult",
            "TypeError",
            {},
        )
    return result


def _error(summary: str, exception: str, details: dict[str, Any]) -> CheckResult:
    evidence: dict[str, Any] = {"exception": exception}
    if details:
        evidence["details"] = details
    return CheckResult(
        CheckStatus.ERROR,
        summary,
        evidence,
        remediation="The check could not run: fix the environment it names and rerun the gate.",
    )


def verdict(report: GateReport) -> str:
    """``error`` if a check errored or none ran to a conclusion, else ``fail`` if one failed,
    else ``pass``."""
    if report.errored or report.verified_nothing:
        return "error"
    if report.failed:
        return "fail"
    return "pass"


def verdict_reason(report: GateReport) -> str | None:
    """Why the verdict is ``error`` although no check errored; ``None`` when the counts say it.

    A gate whose every check was skipped verified nothing, and a gate that verified nothing
    must never pass: a wrong ``--skip`` or checks that found nothing to look at would otherwise
    turn a change green.
    """
    if report.errored or not report.verified_nothing:
        return None
    gate = report.gate.value
    if not report.outcomes:
        return f"no check ran, so the {gate} gate verified nothing and cannot pass"
    return (
        f"every check was skipped, so the {gate} gate verified nothing and cannot pass; "
        "run at least one check (narrow --skip, or provide what the skipped checks need)"
    )


def exit_code(report: GateReport) -> int:
    """Process exit code for ``report``: 2 on an error verdict, 1 on a failure, else 0."""
    return {"error": 2, "fail": 1, "pass": 0}[verdict(report)]
