"""The reports, in the page's order, and who may see each (staff activity is the Supervisor's and the
Admin's). Each reads the daily roll-ups only (reports.reading)."""

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from threading import Lock

from django.contrib.auth.models import AbstractBaseUser

from reports import selectors_lines, selectors_ops
from reports.models import RolledDay
from reports.periods import Period
from reports.reading import Report

REPORTS: dict[str, tuple[Callable[[Period], Report], str]] = {
    "lines": (selectors_lines.lines, "reports.view_reports"),
    "reasons": (selectors_lines.reasons, "reports.view_reports"),
    "refusals": (selectors_lines.refusals, "reports.view_reports"),
    "unknown": (selectors_lines.unknowns, "reports.view_reports"),
    "speed": (selectors_ops.speed, "reports.view_reports"),
    "stock": (selectors_ops.stock, "reports.view_reports"),
    "stock_left": (selectors_ops.stock_left, "reports.view_reports"),
    "activity": (selectors_ops.activity, "reports.view_staff_activity"),
}


# Made each time: the stock there is now, per product, with today's date (not a period's roll-ups alone).
MADE_EACH_TIME = {"stock_left"}
KEPT_AT_MOST = 80  # reports kept in a process (ten periods' pages): a year by day is a few hundred KB
_kept: OrderedDict[tuple, Report] = OrderedDict()
_kept_lock = Lock()


def _report(name: str, period: Period, rolled_at: datetime | None) -> Report:
    """A report made from the roll-ups is the same until the worker rolls up again (every pass stamps the
    days it counted, `rolled_at` the latest stamp): kept in this process for its period and that stamp, so
    the page for a year is read and summed once a pass, not at every view."""
    make = REPORTS[name][0]
    if rolled_at is None or name in MADE_EACH_TIME:
        return make(period)
    key = (name, period, rolled_at)
    with _kept_lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    report = make(period)
    with _kept_lock:
        _kept[key] = report
        while len(_kept) > KEPT_AT_MOST:
            _kept.popitem(last=False)
    return report


def reports_for(user: AbstractBaseUser, period: Period, rolled_at: datetime | None = None) -> list[Report]:
    """Every report the user may see, for the period (`rolled_at`: the roll-ups' latest stamp, see _report)."""
    return [_report(name, period, rolled_at) for name, (_, permission) in REPORTS.items() if user.has_perm(permission)]


def report_for(user: AbstractBaseUser, name: str, period: Period, rolled_at: datetime | None = None,
               ) -> Report | None:
    """One report (its CSV), or None when there is no such report or the user may not see it."""
    permission = REPORTS.get(name, (None, ""))[1]
    return _report(name, period, rolled_at) if permission and user.has_perm(permission) else None


def last_rolled() -> datetime | None:
    """When the worker last counted a day: the roll-ups change only then."""
    return RolledDay.objects.order_by("-rolled_at").values_list("rolled_at", flat=True).first()
