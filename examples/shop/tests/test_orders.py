from __future__ import annotations

import pytest

from shop.domain import Shop


def test_placing_an_order_takes_stock(shop: Shop) -> None:
    shop.place("ann", "mug", 3, 1200)
    assert shop.stock["mug"] == 7


def test_order_total_is_quantity_times_price(shop: Shop) -> None:
    assert shop.place("ann", "tee", 2, 1999).total_cents == 3998


def test_cannot_order_more_than_stock(shop: Shop) -> None:
    with pytest.raises(ValueError, match="only 5 tee left"):
        shop.place("ann", "tee", 6, 1999)


def test_refund_restores_stock(shop: Shop) -> None:
    order = shop.place("ann", "mug", 4, 1200)
    shop.refund(order.id)
    assert shop.stock["mug"] == 10


def test_refund_marks_order_refunded(shop: Shop) -> None:
    order = shop.place("ann", "mug", 1, 1200)
    assert shop.refund(order.id).status == "refunded"
