"""The reports, in the page's order, and who may see each (staff activity is the Supervisor's and the
Admin's). Each reads the daily roll-ups only (reports.reading)."""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser

from reports import selectors_lines, selectors_ops
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


def reports_for(user: AbstractBaseUser, period: Period) -> list[Report]:
    """Every report the user may see, for the period."""
    return [make(period) for make, permission in REPORTS.values() if user.has_perm(permission)]


def report_for(user: AbstractBaseUser, name: str, period: Period) -> Report | None:
    """One report (its CSV), or None when there is no such report or the user may not see it."""
    make, permission = REPORTS.get(name, (None, ""))
    return make(period) if make is not None and user.has_perm(permission) else None
