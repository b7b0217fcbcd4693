"""The pure broker core: each consumer version selector, pending and WIP, can-i-deploy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from readiness.contracts.pact import core
from readiness.contracts.pact.model import (
    Deployment,
    Pact,
    Selector,
    Snapshot,
    Verification,
    Version,
)
from readiness.errors import InputError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 1, tzinfo=UTC)

# web: c1 (main), c2 (main), c3 (feat-x); mobile: m1 (main). users: p1 (main), p2 (feat-x).
VERSIONS = (
    Version("web", "c1", 1, ("main",)),
    Version("web", "c2", 2, ("main",)),
    Version("web", "c3", 3, ("feat-x",)),
    Version("mobile", "m1", 4, ("main",)),
    Version("users", "p1", 5, ("main",)),
    Version("users", "p2", 6, ("feat-x",)),
)
PACTS = (
    Pact("web", "users", "c1", "sha-1", 1, T0),
    Pact("web", "users", "c2", "sha-2", 2, T0),
    Pact("web", "users", "c3", "sha-3", 3, T1),
    Pact("mobile", "users", "m1", "sha-m", 4, T0),
)
MAINS: dict[str, str | None] = {"web": "main", "mobile": "main", "users": "main"}


def snap(
    verifications: tuple[Verification, ...] = (), deployments: tuple[Deployment, ...] = ()
) -> Snapshot:
    return Snapshot(MAINS, VERSIONS, PACTS, verifications, deployments)


def ok(
    sha: str, provider_version: str, consumer: str = "web", success: bool = True
) -> Verification:
    return Verification(consumer, "users", sha, provider_version, success, 1, T0)


def picked(selector: Selector, branch: str | None = None, s: Snapshot | None = None) -> list[str]:
    found = core.resolve_selector(s or snap(), "users", selector, branch)
    return [p.consumer_version for p, _ in found]


def test_main_branch_picks_the_latest_of_each_consumer_main_branch() -> None:
    assert picked(Selector(main_branch=True)) == ["m1", "c2"]


def test_branch_latest_and_all() -> None:
    assert picked(Selector(branch="main")) == ["m1", "c2"]
    assert picked(Selector(branch="main", latest=False, consumer="web")) == ["c1", "c2"]


def test_matching_branch_uses_the_provider_branch() -> None:
    assert picked(Selector(matching_branch=True), branch="feat-x") == ["c3"]
    assert picked(Selector(matching_branch=True), branch=None) == []


def test_fallback_branch_when_the_branch_has_no_pact() -> None:
    assert picked(Selector(branch="feat-y", fallback_branch="main", consumer="web")) == ["c2"]


def test_deployed_released_and_environment() -> None:
    s = snap(
        deployments=(
            Deployment("web", "c1", "prod", "deployment"),
            Deployment("mobile", "m1", "test", "release"),
        )
    )
    assert picked(Selector(deployed_or_released=True), s=s) == ["m1", "c1"]
    assert picked(Selector(deployed=True), s=s) == ["c1"]
    assert picked(Selector(released=True), s=s) == ["m1"]
    assert picked(Selector(environment="test"), s=s) == ["m1"]


def test_consumer_and_latest() -> None:
    assert picked(Selector(latest=True)) == ["m1", "c3"]
    assert picked(Selector(consumer="web")) == ["c3"]


def test_a_required_selector_matching_nothing_is_refused() -> None:
    with pytest.raises(InputError, match="required consumer version selector matched no pact"):
        core.pacts_for_verification(snap(), "users", [Selector(branch="nope", required=True)])


def test_pending_until_verified_from_the_provider_main_branch() -> None:
    from_feature = snap((ok("sha-2", "p2"),))
    from_main = snap((ok("sha-2", "p1"),))
    pact = PACTS[1]

    assert core.is_pending(from_feature, pact, "feat-x") is True
    assert core.is_pending(from_feature, pact, "feat-x", rule="branch") is False
    assert core.is_pending(from_main, pact, "feat-x") is False


def test_selected_pacts_carry_pending_notices_and_dedupe_by_content() -> None:
    found = core.pacts_for_verification(
        snap(),
        "users",
        [Selector(main_branch=True), Selector(branch="main")],
        provider_branch="main",
        include_pending=True,
    )
    assert [(s.pact.consumer_version, s.pending, len(s.reasons)) for s in found] == [
        ("m1", True, 2),
        ("c2", True, 2),
    ]
    assert "pending state" in found[0].notices[-1]["text"]


def test_wip_pacts_since_a_date_are_pending_and_marked() -> None:
    found = core.pacts_for_verification(
        snap(),
        "users",
        [Selector(main_branch=True)],
        provider_branch="main",
        include_pending=True,
        wip_since=T1,
    )
    wip = [s for s in found if s.wip]
    assert [(s.pact.consumer_version, s.pending) for s in wip] == [("c3", True)]
    at_threshold = core.pacts_for_verification(
        snap(),
        "users",
        [Selector(main_branch=True)],
        include_pending=True,
        wip_since=datetime(2026, 2, 1, 0, 0, 1, tzinfo=UTC),
    )
    assert [s for s in at_threshold if s.wip] == []


def test_can_i_deploy_consumer_needs_a_verification_by_the_deployed_provider() -> None:
    deployed = (Deployment("users", "p1", "prod", "deployment"),)
    assert core.can_i_deploy(snap((ok("sha-2", "p1"),), deployed), "web", "c2", "prod").deployable
    missing = core.can_i_deploy(snap((), deployed), "web", "c2", "prod")
    assert missing.deployable is False
    assert missing.reason == "There is no verified pact between web (c2) and users (p1)"
    failed = core.can_i_deploy(
        snap((ok("sha-2", "p1", success=False),), deployed), "web", "c2", "prod"
    )
    assert failed.reason == "The verification for the pact between web (c2) and users (p1) failed"


def test_can_i_deploy_without_the_provider_in_the_environment_is_no() -> None:
    decision = core.can_i_deploy(snap(), "web", "c2", "prod")
    assert decision.deployable is False
    assert "no version is currently recorded as deployed/released" in decision.reason


def test_can_i_deploy_provider_must_have_verified_the_deployed_consumers() -> None:
    deployed = (Deployment("web", "c1", "prod", "deployment"),)
    assert core.can_i_deploy(snap((ok("sha-1", "p2"),), deployed), "users", "p2", "prod").deployable
    assert not core.can_i_deploy(snap((), deployed), "users", "p2", "prod").deployable
    unknown = core.can_i_deploy(snap(), "users", "p9", "prod")
    assert unknown.reason == "no version p9 of users is known to the broker"


def test_the_diff_of_a_changed_pact() -> None:
    assert core.diff_json({"a": [1, 2], "b": 1}, {"a": [1, 3], "c": 1}) == [
        "$.a[1]: 2 -> 3",
        "$.b: removed",
        "$.c: added",
    ]


def test_deploying_several_versions_at_once_checks_the_environment_afterwards() -> None:
    s = snap((ok("sha-2", "p2"),), (Deployment("users", "p1", "prod", "deployment"),))

    together = core.can_deploy_together(s, [("web", "c2"), ("users", "p2")], "prod")
    assert (together.deployable, len(together.rows)) == (True, 1)
    alone = core.can_deploy_together(s, [("web", "c2")], "prod")
    assert alone.reason == "There is no verified pact between web (c2) and users (p1)"
    assert core.can_deploy_together(s, [], "prod").reason == (
        "Every pair in prod is verified (no pacts between them)"
    )


def test_legacy_tags_with_latest_and_fallback() -> None:
    tagged = tuple(
        Version(
            v.pacticipant,
            v.number,
            v.seq,
            v.branches,
            ("prod",) if v.number in {"c1", "c2"} else ("dev",) if v.number == "c3" else (),
        )
        for v in VERSIONS
    )
    s = Snapshot(MAINS, tagged, PACTS, (), ())
    assert picked(Selector(tag="prod"), s=s) == ["c1", "c2"]
    assert picked(Selector(tag="prod", latest=True), s=s) == ["c2"]
    assert picked(Selector(tag="qa", fallback_tag="dev"), s=s) == ["c3"]
