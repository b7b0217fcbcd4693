"""The ``/matrix`` query, pure, with the Ruby broker's semantics: several selectors (``q[]``), each
a pacticipant with a version, the latest of a branch or tag, the latest overall, or every version;
rows between the selected versions; ``latestby`` keeps the newest row per consumer version and
provider (``cvp``) or per consumer version and provider version (``cvpv``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from readiness.contracts.pact.core import _row_problem
from readiness.contracts.pact.model import Decision, MatrixRow, Snapshot
from readiness.errors import InputError

LATESTBY = (None, "cvp", "cvpv")
SELECTOR_KEYS = ("pacticipant", "version", "branch", "tag", "latest")


@dataclass(frozen=True, slots=True)
class MatrixSelector:
    """``q[][pacticipant]`` with at most one of ``version``, ``branch``, ``tag`` (plus
    ``latest``: the newest of them, else all of them) or ``latest`` alone."""

    pacticipant: str
    version: str | None = None
    branch: str | None = None
    tag: str | None = None
    latest: bool = False


def parse_selectors(query: Iterable[tuple[str, str]]) -> list[MatrixSelector]:
    """Selectors from the query string in order: each ``q[][pacticipant]`` starts one, the keys
    after it (``q[][version]``, ``q[][branch]``, ``q[][tag]``, ``q[][latest]``) belong to it."""
    raw: list[dict[str, str]] = []
    for key, value in query:
        if not (key.startswith("q[][") and key.endswith("]")):
            continue
        name = key[4:-1]
        if name not in SELECTOR_KEYS:
            raise InputError(
                f"unknown matrix selector key {key!r}; expected one of "
                + ", ".join(f"q[][{k}]" for k in SELECTOR_KEYS)
            )
        if name == "pacticipant":
            raw.append({})
        elif not raw:
            raise InputError(f"{key} comes before any q[][pacticipant]; name the pacticipant first")
        if name in raw[-1]:
            raise InputError(f"a matrix selector gives {key} twice")
        raw[-1][name] = value
    out = []
    for item in raw:
        if not item["pacticipant"]:
            raise InputError("q[][pacticipant] must not be empty")
        if sum(k in item for k in ("version", "branch", "tag")) > 1:
            raise InputError("a matrix selector takes one of version, branch and tag")
        if item.get("latest", "true") not in ("true", "false"):
            raise InputError(f"q[][latest] must be true or false (got {item['latest']!r})")
        out.append(
            MatrixSelector(
                item["pacticipant"],
                item.get("version"),
                item.get("branch"),
                item.get("tag"),
                item.get("latest") == "true",
            )
        )
    if not out:
        raise InputError("the matrix needs at least one q[][pacticipant] selector")
    return out


def resolve(snap: Snapshot, sel: MatrixSelector) -> set[str]:
    """The version numbers ``sel`` selects (by creation order when ``latest``)."""
    versions = sorted(
        (v for v in snap.versions if v.pacticipant == sel.pacticipant), key=lambda v: v.seq
    )
    if sel.version is not None:
        return {v.number for v in versions if v.number == sel.version}
    if sel.branch is not None:
        versions = [v for v in versions if sel.branch in v.branches]
    elif sel.tag is not None:
        versions = [v for v in versions if sel.tag in v.tags]
    elif not sel.latest:
        return {v.number for v in versions}
    if sel.latest:
        versions = versions[-1:]
    return {v.number for v in versions}


def _all_rows(snap: Snapshot) -> list[tuple[MatrixRow, int]]:
    """Every pact with each verification of its content, or alone (``(row, verification seq)``)."""
    out: list[tuple[MatrixRow, int]] = []
    for pact in snap.pacts:
        found = [v for v in snap.verifications if v.provider == pact.provider and v.sha == pact.sha]
        if not found:
            row = MatrixRow(pact.consumer, pact.consumer_version, pact.provider, None, pact, None)
            out.append((row, -1))
        for v in found:
            row = MatrixRow(
                pact.consumer, pact.consumer_version, pact.provider, v.provider_version, pact, v
            )
            out.append((row, v.seq))
    return out


def matrix(
    snap: Snapshot, selectors: Sequence[MatrixSelector], latestby: str | None = None
) -> Decision:
    """The rows between the selected versions (one selector: every row involving them)."""
    if latestby not in LATESTBY:
        raise InputError(f"latestby must be cvp or cvpv (got {latestby!r})")
    chosen: dict[str, set[str]] = {}
    for sel in selectors:
        chosen.setdefault(sel.pacticipant, set()).update(resolve(snap, sel))
    rows = []
    for row, seq in _all_rows(snap):
        as_consumer = row.consumer_version in chosen.get(row.consumer, ())
        pv = row.provider_version
        as_provider = pv is not None and pv in chosen.get(row.provider, ())
        if len(chosen) == 1:
            keep = as_consumer or as_provider
        else:  # between the selected: an unverified pact counts when its provider is selected
            keep = as_consumer and (as_provider or (pv is None and row.provider in chosen))
        if keep:
            rows.append((row, seq))
    if latestby is not None:
        newest: dict[tuple[str | None, ...], tuple[MatrixRow, int]] = {}
        for row, seq in rows:
            key: tuple[str | None, ...] = (row.consumer, row.consumer_version, row.provider)
            if latestby == "cvpv":
                key += (row.provider_version,)
            if key not in newest or seq > newest[key][1]:
                newest[key] = (row, seq)
        rows = list(newest.values())
    rows.sort(
        key=lambda r: (r[0].consumer, -(r[0].pact.seq if r[0].pact else 0), r[0].provider, -r[1])
    )
    found = tuple(r for r, _ in rows)
    problems = [
        f"There is no verified pact between {r.consumer} ({r.consumer_version}) and {r.provider}"
        if r.provider_version is None
        else p
        for r in found
        for p in _row_problem(
            r.consumer, r.consumer_version, r.provider, r.provider_version or "", r.verification
        )
    ]
    if not found:
        return Decision(False, "The matrix has no rows for these selectors")
    if problems:
        notices = tuple({"type": "error", "text": p} for p in problems)
        return Decision(False, problems[0], found, notices)
    return Decision(True, "All required verification results are published and successful", found)


def decision_json(decision: Decision) -> dict[str, Any]:
    """The matrix's JSON shape (the Pact broker's, which the CLI prints with ``--format json``)."""
    rows = []
    for r in decision.rows:
        v = r.verification
        rows.append(
            {
                "consumer": {"name": r.consumer, "version": {"number": r.consumer_version}},
                "provider": {
                    "name": r.provider,
                    "version": {"number": r.provider_version} if r.provider_version else None,
                },
                "pact": {"createdAt": r.pact.created_at.isoformat()} if r.pact else None,
                "verificationResult": None
                if v is None
                else {"success": v.success, "verifiedAt": v.created_at.isoformat()},
            }
        )
    failed = sum(1 for r in decision.rows if r.verification and not r.verification.success)
    ok = sum(1 for r in decision.rows if r.verification and r.verification.success)
    return {
        "summary": {
            "deployable": decision.deployable,
            "reason": decision.reason,
            "success": ok,
            "failed": failed,
            "unknown": len(decision.rows) - ok - failed,
        },
        "notices": list(decision.notices),
        "matrix": rows,
    }
