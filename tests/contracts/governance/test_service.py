"""The governance use cases on SQLite and PostgreSQL: consumers and reader schemas, evaluated
registrations refused or accepted with a changelog, deprecation before removal with processed
versions, usage windows, field presence per day, and the migration of the new tables."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from readiness._common.clock import FrozenClock
from readiness.audit.outbox.store import audit_outbox
from readiness.config import ContractsSettings
from readiness.contracts.schemas.governance.service import SchemaGovernance
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.contracts.schemas.store import governance as governance_store
from readiness.errors import GovernanceRefusedError, InputError, SchemaInvalidError
from readiness.storage import Stores
from readiness.storage.metadata import state_metadata

SUBJECT = "orders-value"


def js(props: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": "object", "properties": props, **extra})


V1 = js({"id": {"type": "integer"}, "amount": {"type": "number", "x-unit": "EUR"}})
CENTS = js({"id": {"type": "integer"}, "amount": {"type": "number", "x-unit": "cents"}})
STATUS_2 = js({"id": {"type": "integer"}, "status": {"type": "string", "enum": ["NEW", "PAID"]}})
STATUS_3 = js(
    {"id": {"type": "integer"}, "status": {"type": "string", "enum": ["NEW", "PAID", "REF"]}}
)


def governed(stores: Stores, clock: FrozenClock, **policy: Any) -> SchemaGovernance:
    registry = SchemaRegistry(stores, clock, "shop", actor="alice")
    return SchemaGovernance(registry, ContractsSettings(governance=True, **policy))


def test_the_migrated_tables_are_the_declared_tables(stores: Stores) -> None:
    ours = {
        t.name
        for t in (
            governance_store.registry_consumers,
            governance_store.registry_changelogs,
            governance_store.registry_processed,
            governance_store.registry_sample_days,
            governance_store.registry_field_presence,
        )
    }
    with stores.state.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda name, kind, _p: kind != "table" or name in ours,
                "include_object": lambda obj, name, kind, _r, _c: kind != "table" or name in ours,
            },
        )
        assert compare_metadata(context, state_metadata) == []


def test_consumers_register_replace_and_are_audited(stores: Stores, clock: FrozenClock) -> None:
    gov = governed(stores, clock)
    gov.registry.register(SUBJECT, V1, "JSON")
    gov.register_consumer(SUBJECT, "billing", fields=["amount", "amount"])
    gov.register_consumer(SUBJECT, "ledger", reader_schema=V1, strict=False)
    gov.register_consumer(SUBJECT, "billing", fields=["amount", "id"])

    assert [(c.name, c.fields, c.strict) for c in gov.consumers(SUBJECT)] == [
        ("billing", ("amount", "id"), True),
        ("ledger", (), False),
    ]
    assert gov.consumers_reading(SUBJECT, "amount") == ["billing", "ledger"]
    assert gov.consumers_reading(SUBJECT, "coupon") == []
    with stores.state.connect() as conn:
        actions = conn.execute(
            sa.select(audit_outbox.c.action).order_by(audit_outbox.c.id)
        ).scalars()
        assert list(actions).count("schemas.consumer.registered") == 3


@pytest.mark.parametrize(
    ("name", "fields", "reader", "error"),
    [
        ("", [], None, InputError),
        (" billing", [], None, InputError),
        ("billing", [""], None, InputError),
        ("billing", [], "{not json", SchemaInvalidError),
    ],
)
def test_a_bad_consumer_declaration_is_refused(  # noqa: PLR0917 - parametrised
    stores: Stores,
    clock: FrozenClock,
    name: str,
    fields: list[str],
    reader: str | None,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        governed(stores, clock).register_consumer(
            SUBJECT, name, fields=fields, reader_schema=reader
        )


def test_a_meaning_change_needs_a_changelog_naming_its_consumers(
    stores: Stores, clock: FrozenClock
) -> None:
    gov = governed(stores, clock)
    gov.register(SUBJECT, V1, "JSON")
    gov.register_consumer(SUBJECT, "billing", fields=["amount"])
    gov.register_consumer(SUBJECT, "search", fields=["id"])

    with pytest.raises(GovernanceRefusedError) as refused:
        gov.register(SUBJECT, CENTS, "JSON")
    assert refused.value.http_status == 409
    assert refused.value.details["affected_consumers"] == ["billing"]
    with pytest.raises(
        GovernanceRefusedError, match="does not name the affected consumers: billing"
    ):
        gov.register(SUBJECT, CENTS, "JSON", changelog="amounts are now in cents")
    version = gov.register(SUBJECT, CENTS, "JSON", changelog="billing: amount is in cents now")

    assert version.version == 2
    assert gov.changelogs(SUBJECT) == {2: "billing: amount is in cents now"}
    diff = gov.diff(SUBJECT, 1, 2)
    assert diff["changelog"] == "billing: amount is in cents now"
    assert diff["lines"] == [
        '~ /properties/amount/x-unit: "EUR" -> "cents"',
        "compatible in both directions (FULL)",
        "! meaning changed at amount: x-unit: 'EUR' -> 'cents'",
    ]


def test_without_governance_the_same_change_registers(stores: Stores, clock: FrozenClock) -> None:
    gov = SchemaGovernance(SchemaRegistry(stores, clock, "shop"), ContractsSettings())
    gov.register(SUBJECT, V1, "JSON")
    gov.register_consumer(SUBJECT, "billing", fields=["amount"])
    assert gov.register(SUBJECT, CENTS, "JSON").version == 2


def test_an_added_enum_value_affects_strict_reader_schemas_only(
    stores: Stores, clock: FrozenClock
) -> None:
    gov = governed(stores, clock)
    gov.register(SUBJECT, STATUS_2, "JSON")
    gov.register_consumer(SUBJECT, "strict-app", reader_schema=STATUS_2)
    gov.register_consumer(SUBJECT, "tolerant-app", reader_schema=STATUS_2, strict=False)

    evaluation = gov.evaluate(SUBJECT, STATUS_3, "JSON")

    assert evaluation.compatible  # BACKWARD: the new schema reads old data
    assert evaluation.affected == ["strict-app"]
    assert [(c.consumer, c.broken) for c in evaluation.consumers] == [
        ("strict-app", True),
        ("tolerant-app", False),
    ]
    assert evaluation.refusals() == [
        "a breaking or meaning change needs a changelog entry naming the affected consumers "
        "(strict-app); pass --changelog FILE or 'changelog' in the request"
    ]
    assert gov.register(SUBJECT, STATUS_3, "JSON", "strict-app: new status REF").version == 2


NOTE = {"id": {"type": "integer"}, "note": {"type": "string"}}
NOTE_DEPRECATED = {"id": {"type": "integer"}, "note": {"type": "string", "deprecated": True}}
NO_NOTE = {"id": {"type": "integer"}}


def test_a_field_goes_only_after_its_deprecation_cycle_and_once_nobody_processes_it(
    stores: Stores, clock: FrozenClock
) -> None:
    gov = governed(stores, clock, deprecation_days=90, usage_window_days=30)
    gov.register(SUBJECT, js(NOTE), "JSON")
    with pytest.raises(GovernanceRefusedError, match="never marked deprecated"):
        gov.register(SUBJECT, js(NO_NOTE), "JSON", "nobody")
    gov.register(SUBJECT, js(NOTE_DEPRECATED), "JSON")  # 2026-03-10
    gov.report_processed(SUBJECT, "billing", version=1, count=5)

    clock.advance(timedelta(days=89))
    with pytest.raises(GovernanceRefusedError, match=r"\(89 days\), the cycle is 90 days"):
        gov.register(SUBJECT, js(NO_NOTE), "JSON", "nobody")
    clock.advance(timedelta(days=1))
    gov.report_processed(SUBJECT, "billing", version=2, count=2)
    with pytest.raises(GovernanceRefusedError, match=r"in the last 30 days: billing \(2\)"):
        gov.register(SUBJECT, js(NO_NOTE), "JSON", "nobody")
    clock.advance(timedelta(days=30))  # the report is 30 days old: out of the window

    assert gov.register(SUBJECT, js(NO_NOTE), "JSON", "note removed").version == 3


def test_usage_counts_daily_aggregates_inside_the_window(
    stores: Stores, clock: FrozenClock
) -> None:
    gov = governed(stores, clock)
    gov.register(SUBJECT, js(NOTE), "JSON")
    second = gov.register(SUBJECT, js(NOTE_DEPRECATED), "JSON")
    today = clock.now()
    gov.report_processed(SUBJECT, "billing", version=1, count=3, at=today - timedelta(days=30))
    gov.report_processed(SUBJECT, "billing", version=1, count=4, at=today - timedelta(days=29))
    gov.report_processed(SUBJECT, "billing", schema_id=second.schema.id, count=2)
    gov.report_processed(SUBJECT, "billing", version=2, count=5)
    gov.report_processed(SUBJECT, "search", version=2, count=1)

    recent = gov.usage(SUBJECT)
    assert recent["since"] == "2026-02-09"
    assert recent["versions"] == [
        {
            "version": 1,
            "events": 4,
            "consumers": [{"consumer": "billing", "events": 4, "last": "2026-02-09"}],
        },
        {
            "version": 2,
            "events": 8,
            "consumers": [
                {"consumer": "billing", "events": 7, "last": "2026-03-10"},
                {"consumer": "search", "events": 1, "last": "2026-03-10"},
            ],
        },
    ]
    assert gov.usage(SUBJECT, days=29)["unused"] == [1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"version": 1, "count": 0}, "count must be 1 to 10^12 (got 0)"),
        ({}, "give exactly one of 'version' and 'id'"),
        ({"version": 1, "schema_id": 1}, "give exactly one of 'version' and 'id'"),
        ({"schema_id": 999}, "schema id 999 is not a version of 'orders-value'"),
    ],
)
def test_bad_processed_reports_are_refused(
    stores: Stores, clock: FrozenClock, kwargs: dict[str, Any], message: str
) -> None:
    gov = governed(stores, clock)
    gov.register(SUBJECT, V1, "JSON")
    with pytest.raises(InputError) as refused:
        gov.report_processed(SUBJECT, "billing", **kwargs)
    assert refused.value.message == message


def test_a_field_present_yesterday_and_gone_today_is_reported(
    stores: Stores, clock: FrozenClock
) -> None:
    gov = governed(stores, clock)
    yesterday = datetime(2026, 3, 9, 12, tzinfo=UTC)
    gov.add_samples(SUBJECT, '{"id": 1, "amount": 5}\n{"id": 2, "amount": 7}\n', yesterday)
    gov.add_samples(SUBJECT, '{"id": 3, "amount": 1, "coupon": "X"}\n', yesterday)
    added = gov.add_samples(SUBJECT, '{"id": 4}\n{"id": 5, "amount": null}\n')

    report = gov.presence_report(SUBJECT)

    assert added == {"subject": SUBJECT, "day": "2026-03-10", "events": 2, "fields": 1}
    assert report["events"] == {"before": 3, "after": 2}
    assert report["fields"] == [
        {"path": "amount", "before": 100.0, "after": 0.0},
        {"path": "coupon", "before": 33.3333, "after": 0.0},
        {"path": "id", "before": 100.0, "after": 100.0},
    ]
    assert [d["message"] for d in report["drops"]] == ["amount: present in 100% of events, then 0%"]
    assert gov.presence_report(SUBJECT, date(2026, 3, 9))["drops"] == []


def avro(symbols: list[str], doc: str) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": "Refund",
            "fields": [
                {"name": "amount", "type": "long", "doc": doc},
                {"name": "reason", "type": {"type": "enum", "name": "R", "symbols": symbols}},
            ],
        }
    )


def test_avro_subjects_get_the_same_governance(stores: Stores, clock: FrozenClock) -> None:
    gov = governed(stores, clock)
    gov.register("refunds-value", avro(["LATE"], "EUR"), "AVRO")
    gov.register_consumer("refunds-value", "strict", reader_schema=avro(["LATE"], "EUR"))
    gov.register_consumer(
        "refunds-value", "tolerant", reader_schema=avro(["LATE"], "EUR"), strict=False
    )
    gov.register_consumer("refunds-value", "billing", fields=["amount"])

    evaluation = gov.evaluate("refunds-value", avro(["LATE", "OTHER"], "cents"))

    assert [(c.consumer, [i.kind for i in c.incompatibilities]) for c in evaluation.consumers] == [
        ("billing", []),
        ("strict", ["enum_symbols_missing"]),
        ("tolerant", []),
    ]
    assert [m.message() for m in evaluation.meaning] == [
        "meaning changed at amount: doc: 'EUR' -> 'cents'"
    ]
    assert evaluation.affected == ["billing", "strict", "tolerant"]
