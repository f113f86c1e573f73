"""Reads shared by the order and stock pages and the dashboard."""

from datetime import timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from common.paging import Page, seek
from orders.lifecycle import OPEN
from orders.models import DespatchOrder, Product, StockLevel


def order_page(*, state: str = "", cursor: str = "") -> Page:
    qs = DespatchOrder.objects.select_related("sim", "created_by")
    if state:
        qs = qs.filter(state__in=OPEN) if state == "open" else qs.filter(state=state)
    return seek(qs, ("-created_at", "-pk"), cursor)


def open_orders(*, limit: int = 10) -> list[DespatchOrder]:
    return list(DespatchOrder.objects.filter(state__in=OPEN).order_by("created_at", "pk")[:limit])


def stock_latest() -> list[Product]:
    """Each product code with its latest snapshot (quantity, low flag, when) in one query, and
    its trend over the last week (`trend`, for a sparkline) in one more."""
    latest = StockLevel.objects.filter(product=OuterRef("pk")).order_by("-checked_at")
    products = list(Product.objects.annotate(
        quantity=Subquery(latest.values("quantity")[:1]),
        low=Subquery(latest.values("low")[:1]),
        checked_at=Subquery(latest.values("checked_at")[:1]),
    ).order_by("code"))
    trends = stock_trends()
    for product in products:
        product.trend = trends.get(product.code)
    return products


def stock_quantities() -> dict[str, int]:
    """Each product code's latest quantity (metrics): one query, a step down the stock_history index
    a product, without stock_latest's trends."""
    latest = StockLevel.objects.filter(product=OuterRef("pk")).order_by("-checked_at").values("quantity")[:1]
    rows = Product.objects.annotate(quantity=Subquery(latest)).values_list("code", "quantity")
    return {code: quantity for code, quantity in rows if quantity is not None}


def stock_trends(*, days: int = 7, width: int = 200, height: int = 40) -> dict[str, dict]:
    """Each product code's stock over the last `days`, as an SVG polyline scaled to its own
    range (a code with 20,000 SIMs and one with 200 both show their trend). Drawn by the
    server from one query: no chart script."""
    since = timezone.now() - timedelta(days=days)
    rows = list(StockLevel.objects.filter(checked_at__gte=since).order_by("checked_at")
                .values_list("product__code", "quantity", "checked_at"))
    times = [at for _, _, at in rows]
    if len(set(times)) < 2:  # one check is a point, not a line
        return {}
    start, span = times[0], max((times[-1] - times[0]).total_seconds(), 1)
    by_code: dict[str, list[tuple[float, int]]] = {}
    for code, quantity, at in rows:
        by_code.setdefault(code, []).append(((at - start).total_seconds() / span, quantity))
    trends = {}
    for code, points in by_code.items():
        low, high = min(q for _, q in points), max(q for _, q in points)

        def y(quantity: int, low: int = low, high: int = high) -> float:  # steady stock: a line midway
            return height / 2 if high == low else height - 2 - (quantity - low) / (high - low) * (height - 4)

        line = " ".join(f"{x * (width - 4) + 2:.1f},{y(q):.1f}" for x, q in points)
        trends[code] = {"points": line, "low": low, "high": high, "width": width, "height": height,
                        "since": start}
    return trends
