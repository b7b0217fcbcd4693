from __future__ import annotations

import os
import random

from fastapi.testclient import TestClient

from shop.app import create_app
from shop.domain import Shop


def test_webhook_is_acknowledged(shop: Shop) -> None:
    # Simulates a race with a background worker; SHOP_FLAKE_SEED makes the demo reproducible.
    worker_finished_first = random.Random(os.environ.get("SHOP_FLAKE_SEED")).random() < 0.75
    client = TestClient(create_app(shop))
    response = client.post("/payments/webhook", json={"id": "evt_1"})
    assert worker_finished_first, "webhook processed before the payment worker committed"
    assert response.json() == {"ack": "evt_1"}


def test_order_endpoint_returns_label(shop: Shop) -> None:
    client = TestClient(create_app(shop))
    response = client.post(
        "/orders", json={"user": "ann", "sku": "mug", "quantity": 2, "unit_cents": 1250}
    )
    assert response.status_code == 201
    assert response.json()["id"] == 1
