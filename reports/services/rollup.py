"""The daily roll-ups: the worker counts each day's figures (reports.services.figures) into Figure rows,
today's again on every pass and every day since its last pass, so a report reads a few rows per day.
`rollup_rebuild` counts every day again from the records (`manage.py reports rebuild`)."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from orders.models import StockLevel
from reports.days import bounds, day_of, each_day, today
from reports.models import Figure, RolledDay
from reports.services.figures import DERIVED
from sims.models import GatewayRequest, SimStateCount

HELD = "held"  # SIMs in each state as the worker saw them at its last pass of the day: not made again
MOST_DAYS_A_PASS = 62  # a worker that was off for months catches up a couple of months a pass


def rollup_day(day: date) -> int:
    """Count one day's figures again and keep them in place of the last count. Counted outside any
    transaction (on SQLite a transaction holds the one write lock the worker's sends need), then
    written in a short one; two workers rolling the same day take turns on its RolledDay row, and
    the last count stays. Returns how many figures it keeps."""
    start, end = bounds(day)
    figures = [Figure(day=day, report=report, key=key, value=value)
               for report, count in DERIVED.items() for key, value in count(start, end).items()]
    with transaction.atomic():
        RolledDay.objects.select_for_update().get_or_create(day=day, defaults={"rolled_at": timezone.now()})
        Figure.objects.filter(day=day, report__in=DERIVED).delete()
        Figure.objects.bulk_create(figures)
        RolledDay.objects.filter(day=day).update(rolled_at=timezone.now())
    return len(figures)


@transaction.atomic
def held_snapshot() -> None:
    """Today's SIMs in each state, from the kept counts: the last pass of a day leaves its end-of-day
    figure. A day no pass saw has none, and the reports say "not known" for it."""
    day = today()
    counts = dict(SimStateCount.objects.values_list("state", "count"))
    Figure.objects.filter(day=day, report=HELD).delete()
    Figure.objects.bulk_create([Figure(day=day, report=HELD, key=state, value=n) for state, n in counts.items()])
    # Stamped, as a day counted is: the reports kept for the last stamp (reports.selectors) are made again.
    RolledDay.objects.filter(day=day).update(rolled_at=timezone.now())


def first_day() -> date:
    """The first day anything was recorded that a report counts (today, on a new install)."""
    firsts = [t for t in (GatewayRequest.objects.order_by("created_at").values_list("created_at", flat=True).first(),
                          StockLevel.objects.order_by("checked_at").values_list("checked_at", flat=True).first())
              if t is not None]
    return day_of(min(firsts)) if firsts else today()


def rollup_pass() -> int:
    """The worker's pass: every day from its last rolled day (counted again: it may have been the day
    in progress) to today, at most MOST_DAYS_A_PASS of them, then today's SIM counts. Returns days rolled."""
    last = RolledDay.objects.order_by("-day").values_list("day", flat=True).first()
    now = today()
    if last is None:  # a first pass: the last couple of months (`reports rebuild` counts the rest)
        start = max(first_day(), now - timedelta(days=MOST_DAYS_A_PASS - 1))
    else:  # yesterday again too: a request settled in its last second may have been written since
        start = min(last, now - timedelta(days=1))
    days = list(each_day(start, now))[:MOST_DAYS_A_PASS]
    for day in days:
        rollup_day(day)
    held_snapshot()
    return len(days)


def rollup_rebuild(*, since: date | None = None) -> int:
    """Count every day again from the records, from `since` (or the first record) to today: what
    `manage.py reports rebuild` does after a change to how figures are counted. The SIM counts each day
    ended with ("held") are what the worker saw then, and stay as they were. Returns days rolled."""
    days = list(each_day(since or first_day(), today()))
    for day in days:
        rollup_day(day)
    return len(days)
