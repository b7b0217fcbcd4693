from __future__ import annotations

import time

from shop.domain import Shop


def test_monthly_report(shop: Shop) -> None:
    time.sleep(0.2)  # stands in for a slow aggregation query
    shop.place("ann", "mug", 1, 1200)
    assert sum(o.total_cents for o in shop.orders.values()) == 1200
