from __future__ import annotations

from shop import domain


def test_prices_default_to_usd() -> None:
    assert domain.price_label(1250) == "12.50 USD"


def test_switch_to_eur() -> None:
    domain.CURRENCY[0] = "EUR"  # never restored: pollutes later tests
    assert domain.price_label(100) == "1.00 EUR"
