"""Despatch orders (`/orders`: a SIM sent to a recipient by aql) and stock levels (`/stock`)."""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from api.answers import Paged, answer
from api.auth import may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS, problem
from orders import selectors as order_selectors
from orders import services as order_services
from orders.lifecycle import OrderState
from orders.models import DespatchOrder


class OrderOut(Schema):
    ref: str
    url: str
    state: str
    reason: str
    iccid: str | None
    created_at: datetime
    settled_at: datetime | None


class OrderPage(Paged):
    items: list[OrderOut]


class OrderIn(Schema):
    name: str
    company: str = ""
    address: str
    postcode: str
    contact_no: str


def _order(o: DespatchOrder) -> dict:
    return {"ref": o.order_ref, "url": f"/api/v1/orders/{o.order_ref}", "state": o.state, "reason": o.reason,
            "iccid": o.iccid or None, "created_at": o.created_at, "settled_at": o.settled_at}


class Stock(Schema):
    product_code: str
    quantity: int | None
    low: bool | None
    checked_at: datetime | None


orders = Router(tags=["orders and stock"])


@orders.get("/orders", response={200: OrderPage, **PROBLEMS})
def order_list(request: HttpRequest, state: OrderState | None = None, cursor: str = ""):
    """Despatch orders, newest first."""
    may(request, "orders.view_despatchorder")
    page = order_selectors.order_page(state=state or "", cursor=cursor[:500])
    return {"items": [_order(o) for o in page.rows], "next": page.next or None}


@orders.get("/orders/{ref}", response={200: OrderOut, **PROBLEMS})
def order_detail(request: HttpRequest, ref: str):
    """One order: where it stands, and the SIM aql despatched on it."""
    may(request, "orders.view_despatchorder")
    return _order(DespatchOrder.objects.get(order_ref=ref))


@orders.post("/orders", response={202: OrderOut, **WRITE_PROBLEMS})
def order_create(request: HttpRequest, body: OrderIn):
    """Despatch a SIM to this recipient: sent to aql at once, followed by the worker."""
    may(request, "orders.place_order")

    def run() -> HttpResponse:
        order = order_services.order_despatch(actor=request.auth.owner, **body.model_dump())
        url = f"/api/v1/orders/{order.order_ref}"
        if order.state == OrderState.FAILED:  # aql refused it at once: nothing will be despatched
            return problem(request, 422, f"aql refused the order: {order.reason}", code="order-refused",
                           request=url)
        return answer(_order(order), 202, location=url)

    return write(request, run)


@orders.get("/stock", response={200: list[Stock], **PROBLEMS})
def stock(request: HttpRequest):
    """SIMs in stock by product code, as aql last said."""
    may(request, "orders.view_stocklevel")
    return [{"product_code": p.code, "quantity": p.quantity, "low": p.low, "checked_at": p.checked_at}
            for p in order_selectors.stock_latest()]
