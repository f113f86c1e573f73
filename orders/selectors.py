"""Reads shared by the order and stock pages and the dashboard."""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db.models import FloatField, Func, OuterRef, Subquery
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


TREND = {"days": 7, "width": 200, "height": 40}  # the sparklines: a week, in so many pixels


def stock_latest() -> list[Product]:
    """Each product code with its latest snapshot (quantity, low flag, when) and its trend over the last
    week (`trend`, for a sparkline) in one query: the trend kept with the snapshot when it was taken.
    Where one is missing (a snapshot made otherwise), the trends are worked out here (stock_trends)."""
    latest = StockLevel.objects.filter(product=OuterRef("pk")).order_by("-checked_at")
    products = list(Product.objects.annotate(
        quantity=Subquery(latest.values("quantity")[:1]),
        low=Subquery(latest.values("low")[:1]),
        checked_at=Subquery(latest.values("checked_at")[:1]),
        latest_pk=Subquery(latest.values("pk")[:1]),
        kept_trend=Subquery(latest.values("trend")[:1]),
    ).order_by("code"))
    if all(p.kept_trend for p in products if p.latest_pk):
        for product in products:
            kept = product.kept_trend
            product.trend = kept and {**kept, "since": datetime.fromisoformat(kept["since"])}
        return products
    trends = stock_trends(newest=max((p.latest_pk for p in products if p.latest_pk), default=None),
                          codes={p.pk: p.code for p in products}, **TREND)
    for product in products:
        product.trend = trends.get(product.code)
    return products


def trends_to_keep() -> dict[str, dict]:
    """Every product's trend as it is now, for keeping with its newest snapshot (its time as text)."""
    trends = _trends(codes=dict(Product.objects.values_list("pk", "code")), **TREND)
    return {code: {**trend, "since": trend["since"].isoformat()} for code, trend in trends.items()}


def stock_quantities() -> dict[str, int]:
    """Each product code's latest quantity (metrics): one query, a step down the stock_history index
    a product, without stock_latest's trends."""
    latest = StockLevel.objects.filter(product=OuterRef("pk")).order_by("-checked_at").values("quantity")[:1]
    rows = Product.objects.annotate(quantity=Subquery(latest)).values_list("code", "quantity")
    return {code: quantity for code, quantity in rows if quantity is not None}


def stock_trends(*, newest: int | None, codes: dict[int, str], days: int, width: int, height: int) -> dict[str, dict]:
    """Each product code's stock over the last `days`, as an SVG polyline scaled to its own
    range (a code with 20,000 SIMs and one with 200 both show their trend). Drawn by the
    server from one query, no chart script, and drawn again only when a snapshot is added
    (`newest`, the last one's id) or the hour turns: kept in this process's cache, as the
    dashboard and the stock page otherwise read a week of snapshots on every view."""
    if newest is None:
        return {}
    key = f"stock-trends:{newest}:{timezone.now():%Y%m%d%H}:{days}:{width}:{height}"
    return cache.get_or_set(key, partial(_trends, codes=codes, days=days, width=width, height=height), 3600)


class EpochSeconds(Func):
    """A date and time as seconds since 1970, worked out by the database: a week of snapshots' times read
    as numbers (a tenth of the cost of making 2,700 datetimes in Python, most of the sparklines' time)."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        # Django keeps a date and time as UTC text there; julianday reads it, counted in days from noon 4713 BC.
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
                           **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        # EXTRACT gives a numeric (a Decimal in Python): the sums with the other times want a float.
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
                           **extra)


def _trends(*, codes: dict[int, str], days: int, width: int, height: int) -> dict[str, dict]:
    since = timezone.now() - timedelta(days=days)
    rows = list(StockLevel.objects.filter(checked_at__gte=since).order_by("checked_at", "pk")
                .values_list("product_id", "quantity", EpochSeconds("checked_at")))
    if not rows or rows[0][2] == rows[-1][2]:  # one check (in time order) is a point, not a line
        return {}
    first, span = rows[0][2], max(rows[-1][2] - rows[0][2], 1)
    start = datetime.fromtimestamp(round(first, 3), UTC)
    by_code: dict[str, list[tuple[float, int]]] = {}
    for product, quantity, at in rows:
        by_code.setdefault(codes[product], []).append((at, quantity))
    trends = {}
    for code, every in by_code.items():
        step = -(-len(every) // width)  # no more points than pixels (a week of five-minute snapshots is 2,000)
        points = [((at - first) / span, q) for at, q in (*every[:-1:step], every[-1])]
        quantities = [q for _, q in every]
        low, high = min(quantities), max(quantities)

        def y(quantity: int, low: int = low, high: int = high) -> float:  # steady stock: a line midway
            return height / 2 if high == low else height - 2 - (quantity - low) / (high - low) * (height - 4)

        line = " ".join(f"{x * (width - 4) + 2:.1f},{y(q):.1f}" for x, q in points)
        trends[code] = {"points": line, "low": low, "high": high, "width": width, "height": height,
                        "since": start}
    return trends
