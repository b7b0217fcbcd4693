"""A test added on the feature/invoices branch: it depends on the wall clock and chance."""

from __future__ import annotations

import os
import random
import time

from shop.domain import Shop


def test_invoice_number_is_unique(shop: Shop) -> None:
    started = time.time()
    order = shop.place("ann", "mug", 1, 1200)
    # Two invoices in the same millisecond collide; SHOP_INVOICE_SEED makes the demo reproducible.
    same_millisecond = random.Random(os.environ.get("SHOP_INVOICE_SEED")).random() < 0.5
    number = f"INV-{int(started * 1000)}-{order.id}"
    assert not same_millisecond, f"invoice {number} collided with a concurrent invoice"
