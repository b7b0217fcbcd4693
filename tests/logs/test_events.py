"""Typed events: privacy classes per field, unknown fields by mode, log.event."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from readiness import logs
from readiness.logs import Event, EventFieldError, Hashed, Never, Pseudonymous, Public
from tests.logs.conftest import Configure

KEY = b"k" * 32


class OrderPlaced(Event, action="order.placed"):
    order_id: Public[str]
    amount: Public[float]
    user_id: Pseudonymous[str]
    email: Hashed[str]
    card_number: Never[str]


class PaymentFailed(Event, action="payment.failed", level="error"):
    order_id: Public[str]


def _order() -> OrderPlaced:
    return OrderPlaced(
        order_id="ord-789",
        amount=120.5,
        user_id="u-456",
        email="bob@example.com",
        card_number="4111111111111111",
    )


def test_log_event_writes_public_and_pseudonymous_fields_hashes_and_drops_the_rest(
    configure: Configure,
) -> None:
    out = configure(hash_key=KEY)
    logs.get_logger().event(_order())
    expected_hash = hmac.new(KEY, b"bob@example.com", hashlib.sha256).hexdigest()[:32]
    (record,) = out.records()
    assert {k: record[k] for k in ("action", "message", "order_id", "amount", "user_id")} == {
        "action": "order.placed",
        "message": "order.placed",
        "order_id": "ord-789",
        "amount": 120.5,
        "user_id": "u-456",
    }
    assert record["email"] == expected_hash
    assert "card_number" not in record
    assert "4111" not in out.text


def test_the_event_class_sets_the_level(configure: Configure) -> None:
    out = configure(level="warn")
    log = logs.get_logger()
    log.event(_order())  # info: below the threshold
    log.event(PaymentFailed(order_id="o-1"), "payment failed")
    assert [(r["level"], r["message"]) for r in out.records()] == [("error", "payment failed")]


def test_a_field_without_a_privacy_class_is_refused_at_class_definition() -> None:
    with pytest.raises(TypeError, match=r"Bad.note needs exactly one privacy class"):

        class Bad(Event, action="bad"):
            note: str


def test_unknown_fields_raise_in_development(configure: Configure) -> None:
    configure(environment="development")
    with pytest.raises(EventFieldError, match="OrderPlaced has no field 'ssn'; declared: amount"):
        OrderPlaced.of(order_id="o", amount=1.0, user_id="u", email="e", card_number="c", ssn="x")


def test_unknown_fields_are_dropped_and_counted_in_production(configure: Configure) -> None:
    configure(environment="production")
    logs.dropped_fields.clear()
    event = OrderPlaced.of(
        order_id="o", amount=1.0, user_id="u", email="e", card_number="c", ssn="x"
    )
    assert event.order_id == "o"
    assert logs.dropped_fields == {"OrderPlaced.ssn": 1}


def test_events_are_frozen_and_keyword_only() -> None:
    event = _order()
    with pytest.raises(AttributeError):
        event.order_id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        OrderPlaced("ord", 1.0, "u", "e", "c")  # type: ignore[call-arg]
