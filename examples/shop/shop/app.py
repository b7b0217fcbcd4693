"""HTTP surface of the shop."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from shop.domain import Shop, price_label


class OrderIn(BaseModel):
    user: str
    sku: str
    quantity: int
    unit_cents: int


def create_app(shop: Shop | None = None) -> FastAPI:
    app = FastAPI(title="shop")
    state = shop or Shop()

    @app.post("/orders", status_code=201)
    def place(order: OrderIn) -> dict[str, object]:
        try:
            placed = state.place(order.user, order.sku, order.quantity, order.unit_cents)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"id": placed.id, "total": price_label(placed.total_cents)}

    @app.post("/orders/{order_id}/refund")
    def refund(order_id: int) -> dict[str, object]:
        if order_id not in state.orders:
            raise HTTPException(404, f"order {order_id} not found")
        return {"id": order_id, "status": state.refund(order_id).status}

    @app.post("/payments/webhook")
    def webhook(payload: dict[str, object]) -> dict[str, str]:
        return {"ack": str(payload.get("id", ""))}

    return app


app = create_app()  # what `uvicorn shop.app:app` serves and the audit coverage check reads
