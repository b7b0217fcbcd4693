"""The broker's decisions, pure: consumer version selectors, pending and WIP pacts, the matrix
and can-i-deploy (handbook 19.5). No I/O, no clock: callers pass a :class:`Snapshot`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from readiness.contracts.pact.model import (
    Decision,
    Deployment,
    MatrixRow,
    Pact,
    Selected,
    Selector,
    Snapshot,
    Verification,
    Version,
)
from readiness.errors import InputError

PendingRule = Literal["main", "branch"]


def content_sha(content: dict[str, Any]) -> str:
    """The pact's identity: SHA-256 of its canonical JSON (key order and spacing ignored)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def diff_json(old: Any, new: Any, path: str = "$") -> list[str]:
    """Where two JSON documents differ, one line per difference (for the 409 of a re-publish)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            where = f"{path}.{key}"
            if key not in new:
                out.append(f"{where}: removed")
            elif key not in old:
                out.append(f"{where}: added")
            else:
                out.extend(diff_json(old[key], new[key], where))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            where = f"{path}[{i}]"
            if i >= len(new):
                out.append(f"{where}: removed")
            elif i >= len(old):
                out.append(f"{where}: added")
            else:
                out.extend(diff_json(old[i], new[i], where))
        return out
    return [] if old == new else [f"{path}: {json.dumps(old)} -> {json.dumps(new)}"]


def _versions_of(snap: Snapshot, consumer: str) -> list[Version]:
    return sorted((v for v in snap.versions if v.pacticipant == consumer), key=lambda v: v.seq)


def _pacts_by_version(snap: Snapshot, provider: str) -> dict[tuple[str, str], Pact]:
    return {(p.consumer, p.consumer_version): p for p in snap.pacts if p.provider == provider}


def _consumers(snap: Snapshot, provider: str, only: str | None) -> list[str]:
    names = sorted({p.consumer for p in snap.pacts if p.provider == provider})
    return [n for n in names if only is None or n == only]


def _latest_on(
    snap: Snapshot,
    pacts: dict[tuple[str, str], Pact],
    consumer: str,
    branch: str | None,
    latest: bool,
) -> list[Pact]:
    """The pacts of ``consumer`` versions (on ``branch`` when given): the newest, or all."""
    found = [
        pacts[(consumer, v.number)]
        for v in _versions_of(snap, consumer)
        if (branch is None or branch in v.branches) and (consumer, v.number) in pacts
    ]
    return found[-1:] if latest else found


def _tagged(
    snap: Snapshot, pacts: dict[tuple[str, str], Pact], consumer: str, sel: Selector
) -> list[tuple[Pact, str]]:
    """Legacy tags: every version with the tag (the newest with ``latest: true``), else the
    newest with ``fallbackTag``."""

    def having(tag: str) -> list[Pact]:
        return [
            pacts[(consumer, v.number)]
            for v in _versions_of(snap, consumer)
            if tag in v.tags and (consumer, v.number) in pacts
        ]

    assert sel.tag is not None
    found = having(sel.tag)
    label = sel.tag
    if not found and sel.fallback_tag:
        found, label = having(sel.fallback_tag)[-1:], sel.fallback_tag
    elif sel.latest is True:
        found = found[-1:]
    return [(p, f"version of {consumer} tagged '{label}'") for p in found]


def _deployed_pacts(
    snap: Snapshot, pacts: dict[tuple[str, str], Pact], consumer: str, sel: Selector
) -> list[Pact]:
    kinds = {"deployment", "release"}
    if sel.deployed and not sel.released:
        kinds = {"deployment"}
    elif sel.released and not sel.deployed:
        kinds = {"release"}
    return [
        pacts[(consumer, d.version)]
        for d in snap.deployments
        if d.pacticipant == consumer
        and d.kind in kinds
        and (sel.environment is None or d.environment == sel.environment)
        and (consumer, d.version) in pacts
    ]


def resolve_selector(  # noqa: PLR0912 (one branch per selector kind, as documented)
    snap: Snapshot, provider: str, sel: Selector, provider_branch: str | None
) -> list[tuple[Pact, str]]:
    """The pacts one selector picks, each with the reason a client shows."""
    pacts = _pacts_by_version(snap, provider)
    out: list[tuple[Pact, str]] = []
    for consumer in _consumers(snap, provider, sel.consumer):
        if sel.main_branch:
            main = snap.main_branches.get(consumer)
            for p in _latest_on(snap, pacts, consumer, main, True) if main else []:
                out.append((p, f"latest version of {consumer} from its main branch '{main}'"))
        elif sel.matching_branch:
            if provider_branch:
                for p in _latest_on(
                    snap, pacts, consumer, provider_branch, sel.latest is not False
                ):
                    out.append(
                        (
                            p,
                            f"version of {consumer} from branch '{provider_branch}' "
                            "(matching the provider's branch)",
                        )
                    )
        elif sel.branch is not None:
            chosen = _latest_on(snap, pacts, consumer, sel.branch, sel.latest is not False)
            label = sel.branch
            if not chosen and sel.fallback_branch:
                chosen = _latest_on(snap, pacts, consumer, sel.fallback_branch, True)
                label = f"{sel.fallback_branch}' (fallback for '{sel.branch}"
            for p in chosen:
                out.append((p, f"latest version of {consumer} from branch '{label}'"))
        elif sel.tag is not None:
            out.extend(_tagged(snap, pacts, consumer, sel))
        elif sel.deployed_or_released or sel.deployed or sel.released or sel.environment:
            where = f"'{sel.environment}'" if sel.environment else "any environment"
            for p in _deployed_pacts(snap, pacts, consumer, sel):
                out.append((p, f"version of {consumer} currently deployed or released to {where}"))
        elif sel.latest is True or sel.consumer is not None:
            for p in _latest_on(snap, pacts, consumer, None, sel.latest is not False):
                out.append((p, f"latest version of {consumer}"))
    return out


def is_pending(
    snap: Snapshot, pact: Pact, provider_branch: str | None, rule: PendingRule = "main"
) -> bool:
    """Pending until a successful verification of this content by a provider version on the
    provider's main branch (``rule="main"``) or on ``provider_branch`` (``rule="branch"``)."""
    branch = snap.main_branches.get(pact.provider) if rule == "main" else provider_branch
    for v in snap.verifications:
        if v.provider == pact.provider and v.sha == pact.sha and v.success:
            version = snap.version(pact.provider, v.provider_version)
            if version is not None and branch is not None and branch in version.branches:
                return False
    return True


def _pending_notice(provider: str, rule_branch: str | None) -> dict[str, str]:
    where = f"from the branch '{rule_branch}'" if rule_branch else "from its main branch"
    return {
        "when": "before_verification",
        "text": f"This pact is in pending state for this version of {provider} because a "
        f"successful verification result for {provider} {where} has not yet been published. "
        "If this verification fails, it will not cause the overall build to fail.",
    }


def pacts_for_verification(
    snap: Snapshot,
    provider: str,
    selectors: Iterable[Selector],
    *,
    provider_branch: str | None = None,
    include_pending: bool = False,
    wip_since: datetime | None = None,
    rule: PendingRule = "main",
) -> list[Selected]:
    """The pacts a provider build verifies, deduplicated by content, then the WIP pacts."""
    chosen: dict[str, tuple[Pact, list[str]]] = {}
    selector_list = list(selectors) or [Selector(latest=True)]
    for sel in selector_list:
        found = resolve_selector(snap, provider, sel, provider_branch)
        if sel.required and not found:
            raise InputError(
                f"a required consumer version selector matched no pact for {provider}",
                details={"selector": sel.__repr__()},
            )
        for pact, reason in found:
            entry = chosen.setdefault(pact.sha, (pact, []))
            if pact.seq > entry[0].seq:
                chosen[pact.sha] = entry = (pact, entry[1])
            if reason not in entry[1]:
                entry[1].append(reason)
    rule_branch = provider_branch if rule == "branch" else None
    out: list[Selected] = []
    for pact, reasons in sorted(chosen.values(), key=lambda e: (e[0].consumer, e[0].seq)):
        pending = include_pending and is_pending(snap, pact, provider_branch, rule)
        notices = [
            {
                "when": "before_verification",
                "text": f"The pact is being verified because it belongs to the {r}",
            }
            for r in reasons
        ]
        if pending:
            notices.append(_pending_notice(provider, rule_branch))
        out.append(Selected(pact, tuple(reasons), pending, False, tuple(notices)))
    if include_pending and wip_since is not None:
        out.extend(_wip(snap, provider, set(chosen), provider_branch, wip_since, rule))
    return out


def _wip(  # noqa: PLR0917
    snap: Snapshot,
    provider: str,
    taken: set[str],
    provider_branch: str | None,
    since: datetime,
    rule: PendingRule,
) -> list[Selected]:
    """Work in progress: the latest pact of each consumer branch, created since ``since``, not
    selected already and still pending; verified as pending so a failure breaks no build."""
    pacts = _pacts_by_version(snap, provider)
    out: list[Selected] = []
    for consumer in _consumers(snap, provider, None):
        branches = sorted({b for v in _versions_of(snap, consumer) for b in v.branches})
        for branch in branches:
            for pact in _latest_on(snap, pacts, consumer, branch, True):
                if pact.sha in taken or pact.created_at < since:
                    continue
                if not is_pending(snap, pact, provider_branch, rule):
                    continue
                taken.add(pact.sha)
                reason = f"latest version of {consumer} from branch '{branch}' (work in progress)"
                notice = {
                    "when": "before_verification",
                    "text": f"The pact is being verified because it is a 'work in progress' "
                    f"pact (ie. it is the pact for the {reason} and is still in pending state).",
                }
                out.append(
                    Selected(pact, (reason,), True, True, (notice, _pending_notice(provider, None)))
                )
    return out


def _verification(snap: Snapshot, pact: Pact, provider_version: str) -> Verification | None:
    found = [
        v
        for v in snap.verifications
        if v.provider == pact.provider
        and v.sha == pact.sha
        and v.provider_version == provider_version
    ]
    return max(found, key=lambda v: v.seq) if found else None


def _in_environment(snap: Snapshot, pacticipant: str, environment: str) -> list[str]:
    return sorted(
        {
            d.version
            for d in snap.deployments
            if d.pacticipant == pacticipant and d.environment == environment
        }
    )


def can_i_deploy(snap: Snapshot, pacticipant: str, version: str, environment: str) -> Decision:
    """Whether ``pacticipant`` at ``version`` may go to ``environment``: every pact it published
    is verified successfully by each provider version there, and it verified successfully the
    pact of each consumer version there. Missing evidence is a "no", never a "yes"."""
    if snap.version(pacticipant, version) is None:
        return Decision(False, f"no version {version} of {pacticipant} is known to the broker")
    rows: list[MatrixRow] = []
    problems: list[str] = []
    notices: list[dict[str, str]] = []
    own = [p for p in snap.pacts if p.consumer == pacticipant and p.consumer_version == version]
    for pact in sorted(own, key=lambda p: p.provider):
        there = _in_environment(snap, pact.provider, environment)
        if not there:
            rows.append(MatrixRow(pacticipant, version, pact.provider, None, pact, None))
            problems.append(
                f"There is no verified pact between version {version} of {pacticipant} and the "
                f"version of {pact.provider} currently in {environment} (no version is currently "
                "recorded as deployed/released in this environment)"
            )
        for pv in there:
            result = _verification(snap, pact, pv)
            rows.append(MatrixRow(pacticipant, version, pact.provider, pv, pact, result))
            problems.extend(_row_problem(pacticipant, version, pact.provider, pv, result))
    consumers = {p.consumer for p in snap.pacts if p.provider == pacticipant}
    for consumer in sorted(consumers):
        for cv in _in_environment(snap, consumer, environment):
            pacts = _pacts_by_version(snap, pacticipant)
            theirs = pacts.get((consumer, cv))
            if theirs is None:
                continue
            result = _verification(snap, theirs, version)
            rows.append(MatrixRow(consumer, cv, pacticipant, version, theirs, result))
            problems.extend(_row_problem(consumer, cv, pacticipant, version, result))
    if not own and not consumers:
        notices.append(
            {"type": "warning", "text": f"{pacticipant} has no pacts as consumer or provider"}
        )
    if problems:
        return Decision(
            False,
            problems[0],
            tuple(rows),
            tuple(notices) + tuple({"type": "error", "text": p} for p in problems),
        )
    return Decision(
        True,
        "All required verification results are published and successful",
        tuple(rows),
        tuple(notices),
    )


def _row_problem(
    consumer: str, cv: str, provider: str, pv: str, result: Verification | None
) -> list[str]:
    if result is None:
        return [f"There is no verified pact between {consumer} ({cv}) and {provider} ({pv})"]
    if not result.success:
        return [
            f"The verification for the pact between {consumer} ({cv}) and {provider} ({pv}) failed"
        ]
    return []


def can_deploy_together(
    snap: Snapshot, versions: Iterable[tuple[str, str]], environment: str
) -> Decision:
    """Whether ``versions`` (pacticipant, version) can go to ``environment`` at once: the
    environment as it would be afterwards (their current deployments replaced) is checked pair by
    pair, each consumer's pacts against the providers there. No versions: the environment as is."""
    chosen = dict(versions)
    for name, number in chosen.items():
        if snap.version(name, number) is None:
            return Decision(False, f"no version {number} of {name} is known to the broker")
    kept = tuple(
        d
        for d in snap.deployments
        if not (d.environment == environment and d.pacticipant in chosen and d.kind == "deployment")
    )
    added = tuple(Deployment(n, v, environment, "deployment") for n, v in sorted(chosen.items()))
    after = replace(snap, deployments=kept + added)
    rows: list[MatrixRow] = []
    problems: list[str] = []
    there = sorted(
        {(d.pacticipant, d.version) for d in after.deployments if d.environment == environment}
    )
    for consumer, cv in there:
        for pact in sorted(
            (p for p in after.pacts if p.consumer == consumer and p.consumer_version == cv),
            key=lambda p: p.provider,
        ):
            providers = _in_environment(after, pact.provider, environment)
            if not providers:
                rows.append(MatrixRow(consumer, cv, pact.provider, None, pact, None))
                problems.append(
                    f"{consumer} ({cv}) needs {pact.provider}, which is not in {environment}"
                )
            for pv in providers:
                result = _verification(after, pact, pv)
                rows.append(MatrixRow(consumer, cv, pact.provider, pv, pact, result))
                problems.extend(_row_problem(consumer, cv, pact.provider, pv, result))
    if problems:
        notices = tuple({"type": "error", "text": p} for p in problems)
        return Decision(False, problems[0], tuple(rows), notices)
    what = f"{len(rows)} verified pact(s)" if rows else "no pacts between them"
    return Decision(True, f"Every pair in {environment} is verified ({what})", tuple(rows))
