from __future__ import annotations

import os

import pytest

from shop.domain import Shop


@pytest.fixture
def shop() -> Shop:
    if os.environ.get("SHOP_DB_DOWN") == "1":
        raise ConnectionRefusedError("could not connect to db.internal:5432: Connection refused")
    return Shop()
