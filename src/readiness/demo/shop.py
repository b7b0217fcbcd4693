"""The shop's other features over the two weeks: its audit events, its contracts and its pending
migration."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from readiness._common.clock import FrozenClock
from readiness.config import Settings

# The shop's own audit events over the two weeks: (day, minute, actor, actor type, action,
# target type, target id, result, extra fields). Actors are pseudonyms, never names.
SHOP_EVENTS: tuple[tuple[int, int, str, str, str, str, str, str, dict[str, Any]], ...] = (
    (
        1,
        5,
        "usr_3f9a1c20",
        "user",
        "order.place",
        "order",
        "ord_1001",
        "success",
        {"after": {"sku": "mug", "quantity": 2, "status": "placed"}},
    ),
    (1, 40, "usr_b71e0d44", "user", "authn_login_fail", "account", "acct_b71e", "denied", {}),
    (
        2,
        15,
        "usr_b71e0d44",
        "user",
        "order.place",
        "order",
        "ord_1002",
        "success",
        {"after": {"sku": "tee", "quantity": 1, "status": "placed"}},
    ),
    (
        3,
        30,
        "emp_5c2d9e11",
        "employee",
        "customer.view",
        "customer",
        "cus_3f9a",
        "allowed",
        {"target_fields_accessed": ["address", "order_history"], "justification": "SUP-231"},
    ),
    (
        4,
        10,
        "emp_5c2d9e11",
        "employee",
        "order.refund",
        "order",
        "ord_1001",
        "success",
        {
            "before": {"status": "placed"},
            "after": {"status": "refunded"},
            "justification": "SUP-231",
        },
    ),
    (6, 45, "usr_9d0c7a35", "user", "authz_fail", "order", "ord_1002", "denied", {}),
    (
        8,
        20,
        "emp_a04f6b72",
        "employee",
        "config.update",
        "setting",
        "refund_limit",
        "success",
        {"before": {"value": 200}, "after": {"value": 500}},
    ),
    (
        11,
        5,
        "svc_exporter",
        "service",
        "order.export",
        "order",
        "all",
        "success",
        {"after": {"rows": 1841, "format": "csv"}},
    ),
)


def record_shop_audit_trail(
    settings: Settings, stores: Any, clock: FrozenClock, start: datetime
) -> dict[str, Any]:
    """Append the shop's audit events, sign and publish a checkpoint, verify and record it."""
    from readiness.audit.outbox.event import rfc3339
    from readiness.audit.trail import append_events, open_ledger
    from readiness.audit.verification.service import sign_checkpoint, verify_and_record

    events = [
        {
            "actor_id": actor,
            "actor_type": kind,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "result": result,
            "occurred_at": rfc3339(start + timedelta(days=day - 1, minutes=minute)),
            "source": "shop",
            **extra,
        }
        for day, minute, actor, kind, action, target_type, target_id, result, extra in SHOP_EVENTS
    ]
    ledger = open_ledger(settings, stores.audit, clock)
    try:
        append_events(ledger, stores.audit, events)
        checkpoint = sign_checkpoint(settings, ledger, stores.audit)
    finally:
        ledger.close()
    verified, _run = verify_and_record(settings, stores.audit, clock, trigger="demo")
    return {
        "events": len(events),
        "size": verified.size,
        "checkpoint_size": checkpoint.size,
        "verified": verified.verified,
        "errors": list(verified.errors),
    }


SUBJECT = "order-placed-value"  # the shop's OrderPlaced events, named as Confluent clients do


def record_shop_contracts(
    settings: Settings, stores: Any, clock: FrozenClock, start: datetime
) -> dict[str, Any]:
    """The shop's event schema (two versions registered, the pull request's third checked) and
    its web front end's pacts with the API (1.0.0 verified and deployed, 1.1.0 failed)."""
    import json

    from readiness.contracts.pact.service import PactService
    from readiness.contracts.schemas.service import SchemaRegistry

    contracts = settings.root / "contracts"
    registry = SchemaRegistry(stores=stores, clock=clock, project=settings.project, actor="demo")
    for day, name in ((2, "order-placed-v1.json"), (9, "order-placed-v2.json")):
        clock.set(start + timedelta(days=day - 1, hours=3))
        registry.register(SUBJECT, (contracts / name).read_text(encoding="utf-8"), "JSON")
    proposed = registry.test(
        SUBJECT, (contracts / "order-placed-v3.json").read_text("utf-8"), "JSON"
    )

    pacts = PactService(stores, clock, settings.project)
    pacts.create_environment("production", production=True)
    results = {"shop-web-1.0.0.json": True, "shop-web-1.1.0.json": False}
    for day, (name, success) in zip((5, 12), results.items(), strict=True):
        clock.set(start + timedelta(days=day - 1, hours=4))
        content = json.loads((contracts / "pacts" / name).read_text(encoding="utf-8"))
        version = name.removeprefix("shop-web-").removesuffix(".json")
        pacts.publish("shop-web", "shop-api", version, content, branch="main")
        pact, _content = pacts.pact("shop-api", "shop-web", version)
        # shop-api's CI ran the pact against the provider and sent its verification result.
        pacts.verify(
            pact, "1.4.0", success, {"success": success, "providerApplicationVersion": "1.4.0"}
        )
    pacts.record("shop-api", "1.4.0", "production")
    pacts.record("shop-web", "1.0.0", "production")
    decisions = {
        version: pacts.can_i_deploy("shop-web", version, "production")
        for version in ("1.0.0", "1.1.0")
    }
    return {
        "subject": SUBJECT,
        "versions": len(registry.versions(SUBJECT)),
        "proposed": {
            "compatible": proposed.compatible,
            "mode": proposed.mode,
            "messages": proposed.messages,
        },
        "can_i_deploy": {
            v: {"deployable": d.deployable, "reason": d.reason} for v, d in decisions.items()
        },
    }


def lint_shop_migrations(settings: Settings) -> dict[str, Any]:
    """The linter on the shop's pending migration (the rename of release 1.4)."""
    from readiness.migrations import service

    config = settings.migrations
    report = service.lint(service.configured_paths(settings), service.options_from(config))
    root = str(settings.root) + "/"
    return {
        "files": report.files,
        "findings": [{**f.as_dict(), "file": f.file.removeprefix(root)} for f in report.findings],
    }


# The shop's registration under readiness.logs, as its service would log it (fixed clock).
_LOGGED_REGISTRATION = """
from datetime import UTC, datetime
from readiness import logs
logs.configure("shop", "demo", "1.4.0", clock=lambda: datetime(2026, 11, 20, 9, tzinfo=UTC))
from shop.domain import Shop
Shop().register("ada", "ada@example.com")
"""


def lint_shop_logs(settings: Settings) -> dict[str, Any]:
    """The log linter on the shop's code, and the line its leaking call writes through
    ``readiness.logs`` (the email redacted)."""
    import subprocess
    import sys

    from readiness.logcheck import service

    config = settings.logs
    report = service.lint(
        service.configured_paths(settings), service.options_from(config), base=settings.root
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own snippet
        [sys.executable, "-c", _LOGGED_REGISTRATION],
        cwd=settings.root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {
        "files": report.files,
        "findings": [f.as_dict() for f in report.findings],
        "line": done.stderr.strip(),
    }
