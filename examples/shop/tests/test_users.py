from __future__ import annotations

import pytest

from shop.domain import Shop


def test_register_stores_email(shop: Shop) -> None:
    shop.register("ann", "ann@example.com")
    assert shop.users == {"ann": "ann@example.com"}


def test_duplicate_handle_is_refused(shop: Shop) -> None:
    shop.register("ann", "ann@example.com")
    with pytest.raises(ValueError, match="user 'ann' exists"):
        shop.register("ann", "other@example.com")
