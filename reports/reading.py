"""What every report is made of, read from the daily roll-ups (reports.models.Figure): one query of a few hundred rows
each, whatever the size of the journal. Each report is a table (the figures, for the page, the screen
reader and the CSV) and a chart of the same figures (Chart.js's data, drawn by static/js/reports.js).
A day the worker has not rolled up yet is "not known" (None), never nought."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Sum

from reports.days import bucket, each_day
from reports.models import Figure
from reports.periods import Period

COUNT, DURATION, TEXT = "count", "duration", "text"


@dataclass
class Report:
    """One report: what it shows, its table (columns as (heading, kind); rows of raw values, None for
    not known) and its chart."""

    name: str
    title: str
    about: str
    columns: list[tuple[str, str]]
    rows: list[list] = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    note: str = ""
    # Its table's body as HTML, drawn once (reports.templatetags.reports.table_body): a kept report
    # (reports.selectors) is shown many times; a year of staff activity is thousands of cells.
    drawn: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


def figures(report: str, period: Period) -> dict[date, dict[str, int]]:
    found: dict[date, dict[str, int]] = defaultdict(dict)
    for day, key, value in (Figure.objects.filter(report=report, day__gte=period.first, day__lte=period.last)
                            .values_list("day", "key", "value")):
        found[day][key] = value
    return found


def by_bucket(period: Period, figures: dict[date, dict[str, int]], key_of: Callable[[str], str] = str,
              ) -> list[dict[str, int] | None]:
    """Each group's figures summed (key_of gathers keys), or None where a day of it is not rolled up."""
    known = period.rolled
    sums: dict[date, dict[str, int] | None] = {start: defaultdict(int) for start, _ in period.buckets}
    for day in each_day(period.first, period.last):
        start = bucket(day, period.group)
        if day not in known:
            sums[start] = None
        elif (into := sums[start]) is not None:
            for key, value in figures.get(day, {}).items():
                into[key_of(key)] += value
    return [sums[start] for start, _ in period.buckets]


def period_totals(report: str, period: Period) -> dict[str, int]:
    """The period's figures summed key by key by the database, which returns a row a key (a year of staff
    activity is a hundred thousand figures: read into Python one by one, a third of the page's time)."""
    rows = (Figure.objects.filter(report=report, day__gte=period.first, day__lte=period.last).order_by()
            .values("key").annotate(total=Sum("value")).values_list("key", "total"))
    return dict(rows)


def totals(figures: dict[date, dict[str, int]]) -> dict[str, int]:
    """The period's figures summed, key by key."""
    summed: dict[str, int] = defaultdict(int)
    for day in figures.values():
        for key, value in day.items():
            summed[key] += value
    return summed


def partly_known(report: Report, period: Period) -> Report:
    """A report of totals says how many of its days are not rolled up yet (left out of them)."""
    missing = (period.last - period.first).days + 1 - len(period.rolled)
    if missing:
        report.note = (f"{missing} day{'s' if missing != 1 else ''} of the period not yet rolled up by the worker: "
                       "the totals leave them out.")
    return report


def chart(kind: str, labels: list[str], datasets: list[dict], **options: object) -> dict:
    return {"type": kind, "data": {"labels": labels, "datasets": datasets}, "options": options}
