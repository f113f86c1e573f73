"""The reports on the operation: aql's speed per command, stock over time and the days it will last, and
what staff asked for, by person and interface."""

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings

from common.audit import Interface
from orders.models import Product
from reports.days import DAY, bucket, bucket_label, each_day, today
from reports.periods import Period
from reports.reading import (
    COUNT,
    DURATION,
    TEXT,
    Report,
    by_bucket,
    chart,
    figures,
    partly_known,
    period_totals,
    totals,
)
from sims.lifecycle import Command

RATE_DAYS = 30  # days of use the days of stock left are reckoned on


def speed(period: Period) -> Report:
    """Per day whatever the grouping: a percentile of a week is not made of its days' percentiles."""
    days = figures("speed", period)
    commands = sorted({key.partition(":")[0] for day in days.values() for key in day})
    report = Report("speed", "aql's speed", "Time from sending each command to its final state: the median and "
                    "the 95th percentile per day, against the 30 minutes aql asks us to wait before the first "
                    "check.", [("Day", TEXT), ("Command", TEXT), ("Carried out", COUNT), ("Median", DURATION),
                               ("95th percentile", DURATION), ("Over 30 minutes", COUNT)])
    labels = [bucket_label(day, DAY) for day in each_day(period.first, period.last)]
    for day, label in zip(each_day(period.first, period.last), labels, strict=True):
        for command in commands:
            if n := days.get(day, {}).get(f"{command}:n"):
                got = days[day]
                report.rows.append([label, Command(command).label, n, got[f"{command}:p50"], got[f"{command}:p95"],
                                    got[f"{command}:over"]])
    medians = [{"label": f"{Command(c).label}: median (minutes)",
                "data": [_minutes(days.get(day, {}).get(f"{c}:p50")) for day in each_day(period.first, period.last)]}
               for c in commands]
    report.chart = chart("line", labels, [*medians, {"label": "aql's 30 minutes", "data": [30] * len(labels),
                                                     "borderDash": [6, 4], "pointRadius": 0}],
                         spanGaps=False)
    report.note = "Shown per day whatever the grouping. Days with no command carried out have no row."
    return report


def _minutes(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def stock(period: Period) -> Report:
    """Each product's stock at each group's end (aql's last figure by then) and SIMs used in it."""
    days = figures("stock", period)
    codes = sorted({key.rpartition(":")[0] for day in days.values() for key in day})
    used = by_bucket(period, days)
    level: dict[date, dict[str, int]] = defaultdict(dict)
    for day in sorted(days):
        for code in codes:
            if (got := days[day].get(f"{code}:level")) is not None:
                level[bucket(day, period.group)][code] = got
    report = Report("stock", "Stock over time", "Each product code's stock as aql reported it at each period's "
                    "end, and the SIMs used from it.",
                    [("Period", TEXT), *[(h, COUNT) for c in codes for h in (f"{c}: stock", f"{c}: used")]])
    for (start, label), sums in zip(period.buckets, used, strict=True):
        report.rows.append([label, *[v for c in codes for v in (level[start].get(c),
                                                                 None if sums is None else sums.get(f"{c}:used", 0))]])
    report.chart = chart("line", [r[0] for r in report.rows],
                         [{"label": f"{c}: stock", "data": [r[1 + 2 * i] for r in report.rows]}
                          for i, c in enumerate(codes)])
    if not codes:
        report.note = "aql has reported no stock in this period."
    return report


def stock_left(_period: Period | None = None) -> Report:
    """Days of stock left per product at the last 30 days' rate, and when to reorder given the lead time
    (STOCK_LEAD_DAYS): the same whatever the period chosen."""
    now, lead = today(), settings.STOCK_LEAD_DAYS
    recent = Period(now - timedelta(days=RATE_DAYS - 1), now, "day")
    days, known = figures("stock", recent), len(recent.rolled)
    summed = totals(days)
    report = Report("stock_left", "Days of stock left", f"At the rate SIMs were used over the last {RATE_DAYS} "
                    f"days, how long each product's stock lasts, and when to reorder with {lead} days' lead time.",
                    [("Product", TEXT), ("Stock now", COUNT), (f"Used in {RATE_DAYS} days", COUNT),
                     ("Per day", TEXT), ("Days left", COUNT), ("Reorder by", TEXT)])
    for code in Product.objects.order_by("code").values_list("code", flat=True):
        level = next((days[d][f"{code}:level"] for d in sorted(days, reverse=True) if f"{code}:level" in days[d]),
                     None)
        left, reorder = _lasts(level, summed.get(f"{code}:used", 0), known, lead, now)
        rate = None if not known else f"{summed.get(f'{code}:used', 0) / known:.1f}"
        report.rows.append([code, level, summed.get(f"{code}:used", 0) if known else None, rate, left, reorder])
    report.chart = chart("bar", [r[0] for r in report.rows],
                         [{"label": "Days left", "data": [r[4] for r in report.rows]},
                          {"label": "Lead time (days)", "type": "line", "data": [lead] * len(report.rows),
                           "borderDash": [6, 4], "pointRadius": 0}], indexAxis="x")
    return report


def _lasts(level: int | None, used: int, known: int, lead: int, now: date) -> tuple[int | None, str]:
    """Days left and when to reorder, in words where there is no figure: no stock figure or no day
    counted is not known; none used is no end in sight, not a guess."""
    if level is None or not known:
        return None, "not known"
    if used == 0:
        return None, f"none used in {known} days"
    left = int(level / (used / known))
    reorder = now + timedelta(days=left - lead)
    return left, "now" if reorder <= now else f"{reorder:%d %b %Y}"


INTERFACES = [Interface.WEB, Interface.ADMIN, Interface.API, Interface.CLI, Interface.WORKER, Interface.SYSTEM]


def activity(period: Period) -> Report:
    summed = period_totals("activity", period)
    people: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, n in summed.items():
        name, _, interface = key.rpartition("|")
        people[name][interface] += n
    shown = [i for i in INTERFACES if any(i.value in by for by in people.values())]
    report = Report("activity", "Staff activity", "Commands each person asked for, by the interface they used.",
                    [("Person", TEXT), *[(i.label, COUNT) for i in shown], ("All", COUNT)])
    for name, by in sorted(people.items(), key=lambda item: (-sum(item[1].values()), item[0])):
        report.rows.append([name, *[by.get(i.value, 0) for i in shown], sum(by.values())])
    report.chart = chart("bar", [r[0] for r in report.rows],
                         [{"label": i.label, "data": [r[1 + n] for r in report.rows]} for n, i in enumerate(shown)],
                         indexAxis="y", scales={"x": {"stacked": True}, "y": {"stacked": True}})
    return partly_known(report, period)
