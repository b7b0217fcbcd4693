"""Domain logic of the shop, kept free of HTTP."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

log = logging.getLogger("shop")

# A module-level cache: the kind of shared mutable state that makes tests order-dependent.
CURRENCY = ["USD"]


@dataclass
class Order:
    id: int
    user: str
    sku: str
    quantity: int
    unit_cents: int
    status: str = "open"

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass
class Shop:
    stock: dict[str, int] = field(default_factory=lambda: {"mug": 10, "tee": 5})
    orders: dict[int, Order] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)

    def register(self, handle: str, email: str) -> None:
        if handle in self.users:
            raise ValueError(f"user {handle!r} exists")
        self.users[handle] = email
        # A leak the log linter catches (readiness logs lint) and readiness.logs redacts.
        log.info("registered %s <%s>", handle, email)

    def place(self, user: str, sku: str, quantity: int, unit_cents: int) -> Order:
        if self.stock.get(sku, 0) < quantity:
            raise ValueError(f"only {self.stock.get(sku, 0)} {sku} left")
        self.stock[sku] -= quantity
        order = Order(len(self.orders) + 1, user, sku, quantity, unit_cents)
        self.orders[order.id] = order
        return order

    def refund(self, order_id: int) -> Order:
        order = self.orders[order_id]
        order.status = "refunded"
        if os.environ.get("SHOP_BUG_REFUND") != "1":
            self.stock[order.sku] += order.quantity
        return order


def price_label(cents: int) -> str:
    return f"{cents / 100:.2f} {CURRENCY[0]}"
