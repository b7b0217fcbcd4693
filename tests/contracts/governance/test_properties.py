"""Invariants of the governance rules (Hypothesis): a schema never breaks its own consumers,
impact only grows with what consumers read, field presence stays within 0-100 %, and the
sample parser either answers objects or refuses with an InputError."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from readiness.contracts.schemas.core import avro_schema, json_schema
from readiness.contracts.schemas.core.compat import Incompatibility
from readiness.contracts.schemas.core.fields import fields_of
from readiness.contracts.schemas.governance import policy, presence
from readiness.errors import InputError

NAMES = st.sampled_from(["id", "amount", "currency", "status", "note", "lines", "sku"])
LEAF = st.one_of(
    st.sampled_from([{"type": t} for t in ("string", "integer", "number", "boolean")]),
    st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=3, unique=True).map(
        lambda v: {"type": "string", "enum": v}
    ),
    st.integers(0, 10).map(lambda n: {"type": "integer", "minimum": n}),
)


def objects(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda props, closed, required: {
            "type": "object",
            "properties": props,
            "required": sorted(set(required) & set(props)),
            **({"additionalProperties": False} if closed else {}),
        },
        st.dictionaries(NAMES, leaf, max_size=4),
        st.booleans(),
        st.lists(NAMES, max_size=3),
    )


JSON_SCHEMAS = st.recursive(LEAF, objects, max_leaves=8)
AVRO_TYPES = st.sampled_from(["int", "long", "string", "double", "boolean"])
AVRO_SCHEMAS = st.dictionaries(NAMES, AVRO_TYPES, min_size=1, max_size=5).map(
    lambda fields: {
        "type": "record",
        "name": "E",
        "fields": [{"name": n, "type": t} for n, t in fields.items()],
    }
)


@given(JSON_SCHEMAS, st.booleans())
def test_a_json_schema_never_breaks_its_own_consumers(schema: Any, strict: bool) -> None:
    consumer = policy.Consumer("c", reader_schema=schema, strict=strict)
    assert policy.reader_incompatibilities(consumer, schema, json_schema.check) == []


@given(AVRO_SCHEMAS, st.booleans())
def test_an_avro_schema_never_breaks_its_own_consumers(schema: Any, strict: bool) -> None:
    consumer = policy.Consumer("c", reader_schema=schema, strict=strict)
    assert policy.reader_incompatibilities(consumer, schema, avro_schema.check) == []


PATHS = st.lists(NAMES, min_size=1, max_size=3).map(".".join)
INCOMPATIBILITIES = st.lists(
    st.builds(
        lambda path, kind: Incompatibility(
            "#" + "".join(f"/properties/{p}" for p in path.split(".")), kind, 1, 2, "why"
        ),
        PATHS,
        st.sampled_from(["type_changed", "enum_values_not_accepted", "minimum_tightened"]),
    ),
    max_size=6,
)


@given(INCOMPATIBILITIES, st.lists(PATHS, max_size=4), st.lists(PATHS, max_size=4), st.booleans())
def test_impact_is_monotone_in_the_fields_a_consumer_reads(
    found: list[Incompatibility], reads: list[str], more: list[str], strict: bool
) -> None:
    def hits(fields: list[str], is_strict: bool) -> set[Incompatibility]:
        consumer = policy.Consumer("c", tuple(fields), strict=is_strict)
        (result,) = policy.impact([consumer], found, None, "JSON", json_schema.check)
        return set(result.incompatibilities)

    assert hits(reads, strict) <= hits(reads + more, strict)
    assert hits(reads, False) <= hits(reads, True)  # strictness only adds


@given(INCOMPATIBILITIES, st.lists(PATHS, max_size=3), st.lists(PATHS, max_size=3))
def test_adding_a_consumer_never_changes_the_others_impact(
    found: list[Incompatibility], a: list[str], b: list[str]
) -> None:
    one = policy.impact([policy.Consumer("a", tuple(a))], found, None, "JSON", json_schema.check)
    two = policy.impact(
        [policy.Consumer("a", tuple(a)), policy.Consumer("b", tuple(b))],
        found,
        None,
        "JSON",
        json_schema.check,
    )
    assert two[0] == one[0]


@given(JSON_SCHEMAS)
def test_every_field_of_a_schema_is_read_by_a_consumer_that_uses_it_as_reader(schema: Any) -> None:
    consumer = policy.Consumer("c", reader_schema=schema)
    for path in fields_of(schema, "JSON"):
        assert policy.consumers_reading([consumer], path, "JSON") == ["c"]


EVENTS = st.lists(
    st.dictionaries(
        NAMES, st.one_of(st.none(), st.integers(), st.dictionaries(NAMES, st.integers()))
    ),
    max_size=8,
)


@given(EVENTS, EVENTS)
def test_presence_is_a_percentage_and_drops_name_fields_seen_the_day_before(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> None:
    b, a = presence.count(before), presence.count(after)
    for total, present in (b, a):
        assert all(0 <= presence.percent(n, total) <= 100 for n in present.values())
    found = presence.drops(b, a, high=50.0, low=50.0)
    assert {d.path for d in found} <= set(b[1])


@given(st.text(max_size=200))
def test_the_sample_parser_answers_objects_or_an_input_error(text: str) -> None:
    try:
        events = presence.parse_samples(text)
    except InputError as exc:
        assert exc.message.startswith("sample line ")
    else:
        assert all(isinstance(e, dict) for e in events)
