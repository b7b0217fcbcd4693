"""Which routes are audited under which action, and the categories they belong to (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.audit.capture.context import outcome, safe_id
from readiness.audit.capture.policy import (
    CapturePolicy,
    Category,
    Rule,
    Spec,
    audited,
    classify,
    derive_names,
    not_audited,
    resolve,
)
from readiness.audit.events import validate_event

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
segments = st.lists(
    st.one_of(
        st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s),
        st.from_regex(r"\{[a-z_]{1,8}\}", fullmatch=True),
    ),
    max_size=5,
)


def event(action: str, target_type: str, target_id: str = "x") -> dict[str, object]:
    return {
        "actor_id": "usr_1",
        "actor_type": "user",
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "result": "success",
        "occurred_at": "2026-03-10T09:30:00Z",
    }


@given(segments, st.sampled_from(METHODS))
def test_every_route_template_derives_an_action_the_event_schema_accepts(
    parts: list[str], method: str
) -> None:
    action, target_type = derive_names("/" + "/".join(parts), method)

    assert validate_event(event(action, target_type))["action"] == action


@given(st.text(min_size=1, max_size=300))
def test_any_path_parameter_becomes_a_target_id_the_schema_accepts(value: str) -> None:
    assert validate_event(event("a.read", "a", safe_id(value)))["target_id"] == safe_id(value)


@given(st.integers(100, 599), st.booleans())
def test_every_status_maps_to_a_valid_action_and_one_of_three_results(
    status: int, login: bool
) -> None:
    action, result = outcome(status, "items.read", login=login)

    assert result in {"success", "denied", "failure"}
    assert validate_event(event(action, "items") | {"result": result})["result"] == result


@pytest.mark.parametrize(
    ("path", "method", "expected"),
    [
        ("/items/{item_id}", "PATCH", ("items.update", "items")),
        ("/", "GET", ("root.read", "root")),
        (
            "/v1/Patient-Records/{id}/notes",
            "DELETE",
            ("v1.patient_records.notes.delete", "patient_records"),
        ),
        ("/2fa/verify", "POST", ("r2fa.verify.create", "r2fa")),
        ("/api/v2", "GET", ("api.v2.read", "api")),
    ],
)
def test_action_and_target_type_come_from_the_template_and_method(
    path: str, method: str, expected: tuple[str, str]
) -> None:
    assert derive_names(path, method) == expected


def test_categories_are_explained_by_declaration_extra_tag_segment_and_method() -> None:
    spec = Spec(categories=(Category.EXPORT,))

    found = classify(
        CapturePolicy(),
        "/admin/settings/login",
        "POST",
        tags=["Roles", "unknown"],
        spec=spec,
        extra=["configuration"],
    )

    assert found == (
        (Category.AUTHENTICATION, "path segment 'login'"),
        (Category.SENSITIVE_MUTATION, "POST changes data"),
        (Category.ADMIN, "path segment 'admin'"),
        (Category.ACCESS_CONTROL, "tag 'Roles'"),
        (Category.EXPORT, "declared by @audited"),
        (Category.CONFIGURATION, "declared by x-audit-category"),
    )


def test_a_sensitive_tag_on_a_read_is_not_a_mutation() -> None:
    assert classify(CapturePolicy(), "/x", "GET", tags=["sensitive"], spec=None) == ()


def test_a_rule_applies_to_its_methods_only() -> None:
    policy = CapturePolicy(
        rules=(Rule("/files/{name}", Spec(action="file.download"), frozenset({"GET"})),)
    )

    get = resolve(policy, "/files/{name}", "GET", None)
    head = resolve(policy, "/files/{name}", "HEAD", None)

    assert (get.action, get.reason) == ("file.download", "a capture rule")
    assert (head.action, head.reason) == (None, "not sensitive, no category")


def test_the_decorator_wins_over_a_rule_and_an_exemption_keeps_its_reason() -> None:
    @audited(action="report.download", fields=["total"], target_param="rid")
    def endpoint() -> None: ...

    @not_audited("  probe  ")
    def probe() -> None: ...

    policy = CapturePolicy(rules=(Rule("/r/{rid}", Spec(action="other")),))

    planned = resolve(policy, "/r/{rid}", "GET", endpoint)
    exempt = resolve(policy, "/r/{rid}", "DELETE", probe)

    assert (planned.action, planned.fields, planned.target_param, planned.reason) == (
        "report.download",
        ("total",),
        "rid",
        "@audited",
    )
    assert (exempt.action, exempt.exempt, exempt.reason) == (None, True, "exempt: probe")
    assert exempt.categories == ((Category.SENSITIVE_MUTATION, "DELETE changes data"),)


def test_an_exemption_needs_a_reason() -> None:
    with pytest.raises(
        ValueError, match=r"^not_audited needs a reason: the coverage report prints it$"
    ):
        not_audited(" ")
