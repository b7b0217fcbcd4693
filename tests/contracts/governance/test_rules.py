"""The pure governance rules, golden cases in both directions: field paths, the direction-aware
enum policy, impact, meaning changes, changelogs, deprecation before removal (exactly at the
cycle), and field presence (exactly at the thresholds)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest

from readiness.contracts.schemas.core import avro_schema, json_schema
from readiness.contracts.schemas.core.compat import Incompatibility
from readiness.contracts.schemas.core.fields import field_path, fields_of, related
from readiness.contracts.schemas.governance import policy, presence
from readiness.errors import InputError


def obj(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **extra}


STATUS_2 = obj({"status": {"type": "string", "enum": ["NEW", "PAID"]}})
STATUS_3 = obj({"status": {"type": "string", "enum": ["NEW", "PAID", "REFUNDED"]}})


def avro_record(*fields: dict[str, Any], name: str = "Order") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields)}


AVRO_ENUM_2 = avro_record(
    {"name": "status", "type": {"type": "enum", "name": "S", "symbols": ["NEW", "PAID"]}}
)
AVRO_ENUM_3 = avro_record(
    {"name": "status", "type": {"type": "enum", "name": "S", "symbols": ["NEW", "PAID", "REF"]}}
)


# ------------------------------------------------------------------ field paths


def test_json_schema_fields_follow_properties_items_refs_and_annotations() -> None:
    schema = {
        "type": "object",
        "$defs": {"money": {"type": "number", "x-unit": "EUR", "x-meaning": "gross"}},
        "properties": {
            "amount": {"$ref": "#/$defs/money"},
            "lines": {"type": "array", "items": obj({"sku": {"type": "string"}})},
            "old": {"type": "string", "deprecated": True},
            "status": {"enum": ["A", "B"]},
        },
    }
    found = fields_of(schema, "JSON")
    assert sorted(found) == ["amount", "lines", "lines[].sku", "old", "status"]
    assert found["amount"].meaning == {"x-meaning": "gross", "x-unit": "EUR"}
    assert (found["old"].deprecated, found["old"].deprecated_since) == (True, None)
    assert found["status"].enum == ("A", "B")


def test_avro_fields_follow_nested_records_arrays_and_custom_properties() -> None:
    schema = avro_record(
        {"name": "amount", "type": "double", "doc": "gross", "unit": "EUR"},
        {
            "name": "lines",
            "type": {
                "type": "array",
                "items": avro_record({"name": "sku", "type": "string"}, name="Line"),
            },
        },
        {"name": "old", "type": ["null", "string"], "x-deprecated-since": "2026-01-01"},
    )
    found = fields_of(schema, "AVRO")
    assert sorted(found) == ["amount", "lines", "lines[].sku", "old"]
    assert found["amount"].meaning == {"doc": "gross", "unit": "EUR"}
    assert (found["old"].deprecated, found["old"].deprecated_since) == (True, "2026-01-01")


def test_a_recursive_schema_ends() -> None:
    schema = {"$defs": {"n": obj({"next": {"$ref": "#/$defs/n"}})}, "$ref": "#/$defs/n"}
    assert sorted(fields_of(schema, "JSON")) == ["next"]


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        ("#/properties/order/properties/amount", "JSON", "order.amount"),
        ("#/properties/lines/items/properties/sku", "JSON", "lines[].sku"),
        ("#", "JSON", ""),
        ("/order/amount/", "AVRO", "order.amount"),
        ("/lines/items/sku/", "AVRO", "lines[].sku"),
        ("/status/union[1]/", "AVRO", "status"),
    ],
)
def test_an_incompatibility_path_maps_to_its_field(path: str, kind: str, expected: str) -> None:
    assert field_path(path, kind) == expected


def test_related_paths_are_equal_nested_or_the_whole_datum() -> None:
    assert [
        related("order", "order.amount"),
        related("order.amount", "order"),
        related("", "x"),
        related("lines[].sku", "lines"),
        related("order", "orders"),
        related("amount", "currency"),
    ] == [True, True, True, True, False, False]


# ------------------------------------------------------------------ the enum policy


@pytest.mark.parametrize(
    ("reader", "writer", "kind", "strict", "expected"),
    [
        (STATUS_2, STATUS_3, "JSON", True, ["enum_values_not_accepted"]),
        (STATUS_2, STATUS_3, "JSON", False, []),
        (STATUS_3, STATUS_2, "JSON", True, []),  # the other direction: removing is readable
        (STATUS_3, STATUS_2, "JSON", False, []),
        (AVRO_ENUM_2, AVRO_ENUM_3, "AVRO", True, ["enum_symbols_missing"]),
        (AVRO_ENUM_2, AVRO_ENUM_3, "AVRO", False, []),
        (AVRO_ENUM_3, AVRO_ENUM_2, "AVRO", True, []),
    ],
)
def test_an_added_enum_value_breaks_strict_readers_only(
    reader: Any, writer: Any, kind: str, strict: bool, expected: list[str]
) -> None:
    checker = avro_schema.check if kind == "AVRO" else json_schema.check
    consumer = policy.Consumer("billing", reader_schema=reader, strict=strict)
    found = policy.reader_incompatibilities(consumer, writer, checker)
    assert [i.kind for i in found] == expected
    assert all(i.direction == "READER" and "consumer 'billing'" in i.why for i in found)


def test_a_tolerant_reader_still_breaks_on_a_type_change() -> None:
    reader = obj({"status": {"type": "string", "enum": ["NEW"]}})
    writer = obj({"status": {"type": "integer"}})
    consumer = policy.Consumer("billing", reader_schema=reader, strict=False)
    found = policy.reader_incompatibilities(consumer, writer, json_schema.check)
    assert [i.kind for i in found] == ["type_changed"]


# ------------------------------------------------------------------ impact


CONSUMERS = [
    policy.Consumer("billing", ("amount",)),
    policy.Consumer("ledger", ("order",)),
    policy.Consumer("search", (), obj({"sku": {"type": "string"}})),
]


def test_which_consumers_read_a_field() -> None:
    assert policy.consumers_reading(CONSUMERS, "amount", "JSON") == ["billing"]
    assert policy.consumers_reading(CONSUMERS, "order.total", "JSON") == ["ledger"]
    assert policy.consumers_reading(CONSUMERS, "sku", "JSON") == ["search"]
    assert policy.consumers_reading(CONSUMERS, "coupon", "JSON") == []


def test_incompatibilities_map_to_the_consumers_reading_their_fields() -> None:
    bad = Incompatibility("#/properties/amount", "type_changed", "number", "string", "x")
    enum = Incompatibility(
        "#/properties/order/properties/state", "enum_values_not_accepted", 1, 2, "y"
    )
    tolerant = [*CONSUMERS[:1], policy.Consumer("ledger", ("order",), strict=False)]
    found = policy.impact(tolerant, [bad, enum], None, "JSON", json_schema.check)
    assert [(c.consumer, [i.kind for i in c.incompatibilities]) for c in found] == [
        ("billing", ["type_changed"]),
        ("ledger", []),  # tolerant: the enum value maps to its default
    ]


# ------------------------------------------------------------------ meaning changes


def test_a_changed_unit_is_a_meaning_change_and_a_new_annotation_is_not() -> None:
    old = obj({"amount": {"type": "number", "x-unit": "EUR"}, "fee": {"type": "number"}})
    new = obj(
        {
            "amount": {"type": "number", "x-unit": "cents"},
            "fee": {"type": "number", "x-unit": "EUR"},
        }
    )
    found = policy.meaning_changes(old, new, "JSON")
    assert [m.message() for m in found] == ["meaning changed at amount: x-unit: 'EUR' -> 'cents'"]
    assert policy.meaning_changes(new, new, "JSON") == []


def test_an_avro_doc_change_is_a_meaning_change() -> None:
    old = avro_record({"name": "amount", "type": "double", "doc": "gross"})
    new = avro_record({"name": "amount", "type": "double", "doc": "net"})
    assert [m.message() for m in policy.meaning_changes(old, new, "AVRO")] == [
        "meaning changed at amount: doc: 'gross' -> 'net'"
    ]


# ------------------------------------------------------------------ changelog


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        (None, ["billing", "ledger"]),
        ("   ", ["billing", "ledger"]),
        ("Billing must read cents from now on.", ["ledger"]),
        ("billing-v2 and ledgers", ["billing", "ledger"]),  # whole names only
        ("billing, ledger: amount is in cents", []),
    ],
)
def test_the_changelog_must_name_every_affected_consumer(
    text: str | None, missing: list[str]
) -> None:
    assert policy.changelog_missing(text, ["ledger", "billing"]) == missing


# ------------------------------------------------------------------ deprecation before removal

OLD_FIELDS = fields_of(obj({"id": {"type": "integer"}, "note": {"type": "string"}}), "JSON")
DEPRECATED = fields_of(
    obj({"id": {"type": "integer"}, "note": {"type": "string", "deprecated": True}}), "JSON"
)
NEW_FIELDS = fields_of(obj({"id": {"type": "integer"}}), "JSON")
RULE = policy.RemovalPolicy(cycle_days=90, window_days=30)


def history(processed: dict[int, dict[str, int]] | None = None) -> policy.History:
    return policy.History(
        [(1, date(2026, 1, 1), OLD_FIELDS), (2, date(2026, 2, 1), DEPRECATED)], processed or {}
    )


def test_removed_fields_name_the_outermost_field_only() -> None:
    old = fields_of(obj({"a": obj({"b": {"type": "string"}}), "c": {}}), "JSON")
    assert policy.removed_fields(old, fields_of(obj({"c": {}}), "JSON")) == ["a"]
    assert policy.removed_fields(NEW_FIELDS, OLD_FIELDS) == []


def test_a_field_never_deprecated_may_not_be_removed() -> None:
    found = policy.removal_problems(
        ["id"], policy.History([(1, date(2026, 1, 1), OLD_FIELDS)]), date(2027, 1, 1), RULE
    )
    assert [p.message() for p in found] == [
        "field id removed too early: it was never marked deprecated (deprecated: true)"
    ]


def test_removal_is_refused_one_day_before_the_cycle_ends_and_allowed_on_its_last_day() -> None:
    early = policy.removal_problems(["note"], history(), date(2026, 5, 1), RULE)  # 89 days
    on_time = policy.removal_problems(["note"], history(), date(2026, 5, 2), RULE)  # 90 days
    assert [p.message() for p in early] == [
        "field note removed too early: deprecated since 2026-02-01 (89 days), the cycle is 90 days"
    ]
    assert on_time == []


def test_a_declared_deprecation_date_counts_from_that_date() -> None:
    declared = fields_of(
        obj({"note": {"type": "string", "x-deprecated-since": "2025-12-01"}}), "JSON"
    )
    past = policy.History([(1, date(2026, 2, 1), declared)])
    assert policy.removal_problems(["note"], past, date(2026, 3, 1), RULE) == []


def test_removal_waits_for_consumers_that_still_process_a_version_holding_the_field() -> None:
    found = policy.removal_problems(
        ["note"],
        history({1: {"billing": 3}, 2: {"billing": 2, "audit": 0}}),
        date(2026, 6, 1),
        RULE,
    )
    assert [p.message() for p in found] == [
        "field note removed too early: consumers processed versions holding it in the last "
        "30 days: billing (5)"
    ]


# ------------------------------------------------------------------ field presence


def test_presence_counts_paths_per_event_and_skips_nulls() -> None:
    total, present = presence.count(
        [{"a": 1, "b": {"c": 2}, "n": None, "l": [{"x": 1}, {"x": 2}]}, {"a": 2}]
    )
    assert (total, present) == (2, Counter({"a": 2, "b": 1, "b.c": 1, "l": 1, "l[].x": 1}))


def test_samples_parse_as_json_lines_and_name_the_bad_line() -> None:
    assert presence.parse_samples('{"a": 1}\n\n{"b": 2}\n') == [{"a": 1}, {"b": 2}]
    with pytest.raises(InputError, match="sample line 2: expected a JSON object"):
        presence.parse_samples('{"a": 1}\n[1]\n')
    with pytest.raises(InputError, match="sample line 1: not JSON"):
        presence.parse_samples("{nope")


@pytest.mark.parametrize(
    ("before", "after", "high", "low", "reported"),
    [
        (10, 0, 100.0, 0.0, True),  # 100 % yesterday, 0 % today
        (9, 0, 100.0, 0.0, False),  # 90 % yesterday: under the high threshold
        (10, 1, 100.0, 0.0, False),  # 10 % today: over the low threshold
        (9, 1, 90.0, 10.0, True),  # exactly at both thresholds
        (8, 1, 90.0, 10.0, False),  # 80 %: just under the high threshold
        (9, 2, 90.0, 10.0, False),  # 20 %: just over the low threshold
    ],
)
def test_a_field_that_disappears_is_reported_exactly_at_the_thresholds(
    before: int, after: int, high: float, low: float, reported: bool
) -> None:
    found = presence.drops((10, {"amount": before}), (10, {"amount": after}), high=high, low=low)
    assert [d.path for d in found] == (["amount"] if reported else [])


def test_no_events_on_a_day_reports_nothing() -> None:
    assert presence.drops((10, {"a": 10}), (0, {}), high=100.0, low=0.0) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "sample line 1: nested too deeply"),
        (json.dumps({"a" * 501: 1}), "sample event 1: field path longer than 500 characters"),
        (
            json.dumps({f"f{i}": 1 for i in range(10_001)}),
            "samples hold more than 10000 distinct field paths",
        ),
    ],
)
def test_hostile_samples_are_refused_with_an_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        presence.count(presence.parse_samples(text))
    assert refused.value.message.startswith(message)
