"""Days as the staff live them: a date in the site's time zone (settings.TIME_ZONE), its start and end as
instants, and days gathered into weeks or months. A day of the change to summer time has 23 hours and the
day back 25: each day's bounds come from its own midnight, never from adding 24 hours."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone

DAY, WEEK, MONTH = "day", "week", "month"


def bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a local day begins and the next begins (half-open: start <= t < end)."""
    zone = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(day, time.min), zone),
            timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone))


def day_of(instant: datetime) -> date:
    """The local day an instant falls on."""
    return timezone.localtime(instant).date()


def today() -> date:
    return day_of(timezone.now())


def each_day(first: date, last: date) -> Iterator[date]:
    """Every day from first to last, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def bucket(day: date, group: str) -> date:
    """The first day of the day's group: itself, its week's Monday, or its month's first."""
    if group == WEEK:
        return day - timedelta(days=day.weekday())
    if group == MONTH:
        return day.replace(day=1)
    return day


def bucket_label(first: date, group: str) -> str:
    """A group's name as the tables and charts show it."""
    if group == WEEK:
        return f"Week of {first:%d %b %Y}"
    if group == MONTH:
        return f"{first:%B %Y}"
    return f"{first:%a %d %b %Y}"
