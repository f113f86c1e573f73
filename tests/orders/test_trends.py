"""The stock sparklines: a week of snapshots drawn with no more points than pixels, the low and the high
of every snapshot, and read again only when a snapshot is added (not on every view of the dashboard)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import selectors
from orders.models import Product, StockLevel

pytestmark = pytest.mark.django_db


SPIKES = {1002: 5000, 1004: 3}  # between the points drawn (every 11th of 2,015)


def week_of_snapshots(product: Product, every_minutes: int = 5) -> None:
    now = timezone.now()
    count = 7 * 24 * 60 // every_minutes - 1
    StockLevel.objects.bulk_create(
        StockLevel(product=product, quantity=SPIKES.get(n, 1000 + n % 97),
                   checked_at=now - timedelta(minutes=every_minutes * (count - n))) for n in range(count))


def test_a_week_of_snapshots_is_drawn_in_no_more_points_than_pixels_with_its_true_low_and_high():
    product = Product.objects.create(code="AQL-123")
    week_of_snapshots(product)
    trend = next(p for p in selectors.stock_latest() if p.code == "AQL-123").trend
    assert len(trend["points"].split()) <= trend["width"] + 1
    assert (trend["low"], trend["high"]) == (3, 5000)


def test_the_snapshots_are_read_again_only_when_one_is_added():
    product = Product.objects.create(code="AQL-123")
    week_of_snapshots(product, every_minutes=60)
    first = selectors.stock_latest()[0].trend
    with CaptureQueriesContext(connection) as again:
        assert selectors.stock_latest()[0].trend == first
    assert len(again) == 1  # the products with their latest snapshot; the week's are not read

    StockLevel.objects.create(product=product, quantity=5, checked_at=timezone.now())
    with CaptureQueriesContext(connection) as added:
        trend = selectors.stock_latest()[0].trend
    assert len(added) == 2 and trend["low"] == 5 and trend != first


def test_the_database_reads_a_snapshots_time_as_the_seconds_python_does():
    from datetime import UTC, datetime

    product = Product.objects.create(code="AQL-123")
    at = datetime(2026, 3, 29, 0, 59, 59, 250000, tzinfo=UTC)
    StockLevel.objects.create(product=product, quantity=1, checked_at=at)
    seconds = StockLevel.objects.values_list(selectors.EpochSeconds("checked_at"), flat=True).get()
    assert abs(seconds - at.timestamp()) < 0.001


def test_each_snapshot_taken_keeps_the_products_trend_and_the_pages_read_it_not_the_week(world):
    from orders import services

    week_of_snapshots(Product.objects.create(code="AQL-123"), every_minutes=60)
    worked_out = selectors.stock_latest()[0].trend  # a snapshot made otherwise: worked out on the page
    world.fake.account.stock = {"AQL-123": 900}
    services.stock_refresh()  # aql's answer kept as a snapshot, with the week's trend to it
    newest = StockLevel.objects.order_by("-checked_at").first()
    assert newest.quantity == 900 and newest.trend["low"] == 900 and newest.trend != worked_out
    with CaptureQueriesContext(connection) as read:
        trend = selectors.stock_latest()[0].trend
    assert len(read) == 1  # the products with their latest snapshot and its trend
    again = selectors.stock_trends(newest=newest.pk, codes={newest.product_id: "AQL-123"}, **selectors.TREND)
    assert trend == again["AQL-123"]  # what would be worked out now, to the microsecond of its start


def test_only_the_newest_snapshot_keeps_a_trend_and_a_failure_to_keep_one_loses_no_snapshot(world, monkeypatch):
    from django.db import DatabaseError

    from orders import services

    world.fake.account.stock = {"AQL-123": 900}
    for _ in range(3):
        services.stock_refresh()
    assert StockLevel.objects.filter(trend__isnull=False).count() == 1  # the newest's: a year of them is 400 MB

    def locked() -> None:
        raise DatabaseError("database is locked")

    monkeypatch.setattr(services, "keep_trends", locked)
    assert len(services.stock_refresh()) == 1 and StockLevel.objects.count() == 4  # kept, and said so
    assert selectors.stock_latest()[0].trend is not None  # worked out on the page instead
