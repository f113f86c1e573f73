"""Reads shared by the order and stock pages and the dashboard."""

from datetime import timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from orders.models import OPEN, DespatchOrder, Product, StockLevel
from sims.selectors import paginate


def order_page(*, state: str = "", page: int = 1) -> tuple[list[DespatchOrder], bool]:
    qs = DespatchOrder.objects.select_related("sim", "created_by").order_by("-created_at", "-pk")
    if state:
        qs = qs.filter(state__in=OPEN) if state == "open" else qs.filter(state=state)
    return paginate(qs, page)


def open_orders(*, limit: int = 10) -> list[DespatchOrder]:
    return list(DespatchOrder.objects.filter(state__in=OPEN).order_by("created_at")[:limit])


def stock_latest() -> QuerySet[Product]:
    """Each product code with its latest snapshot: quantity, low flag and when, in one query."""
    latest = StockLevel.objects.filter(product=OuterRef("pk")).order_by("-checked_at")
    return Product.objects.annotate(
        quantity=Subquery(latest.values("quantity")[:1]),
        low=Subquery(latest.values("low")[:1]),
        checked_at=Subquery(latest.values("checked_at")[:1]),
    ).order_by("code")


def stock_chart(*, days: int = 7, width: int = 640, height: int = 180) -> dict:
    """Stock over time as SVG polylines, one per product code (drawn by the server: no chart script)."""
    since = timezone.now() - timedelta(days=days)
    rows = list(StockLevel.objects.filter(checked_at__gte=since).order_by("checked_at")
                .values_list("product__code", "quantity", "checked_at"))
    if len({at for _, _, at in rows}) < 2:  # one check is a point, not a line
        return {"series": [], "width": width, "height": height}
    start, end = rows[0][2], rows[-1][2]
    span = max((end - start).total_seconds(), 1)
    top = max(q for _, q, _ in rows) or 1
    series: dict[str, list[str]] = {}
    for code, quantity, at in rows:
        x = (at - start).total_seconds() / span * (width - 10) + 5
        y = height - 5 - quantity / top * (height - 10)
        series.setdefault(code, []).append(f"{x:.1f},{y:.1f}")
    return {"series": [{"code": code, "points": " ".join(points), "colour": f"series-{n % 6}"}
                       for n, (code, points) in enumerate(series.items())],
            "width": width, "height": height, "top": top, "start": start, "end": end}
