"""The Reports page (every report the person may see, for the period chosen) and each report's CSV.
Thin: parse the period, read the roll-ups, render."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from common.csvout import csv_attachment, csv_text
from common.web import requires
from reports import selectors
from reports.periods import period_from
from reports.reading import DURATION


@requires("reports.view_reports")
def reports(request: HttpRequest) -> HttpResponse:
    form, period = period_from(request.GET)
    rolled = selectors.last_rolled()
    context = {"form": form, "period": period, "rolled_at": rolled and timezone.localtime(rolled),
               "reports": selectors.reports_for(request.user, period, rolled) if period else []}
    return render(request, "reports/reports.html", context)


@requires("reports.view_reports")
def report_csv(request: HttpRequest, name: str) -> HttpResponse:
    form, period = period_from(request.GET)
    if period is None:
        return render(request, "reports/reports.html", {"form": form, "period": None, "reports": []}, status=400)
    report = selectors.report_for(request.user, name, period, selectors.last_rolled())
    if report is None:
        raise Http404("No such report.")
    if "csv" not in report.drawn:  # a kept report's file is made once, as its table is
        header = [f"{heading} (seconds)" if kind == DURATION else heading for heading, kind in report.columns]
        rows = ([("not known" if v is None else v) for v in row] for row in report.rows)
        report.drawn["csv"] = csv_text(header, rows)
    return csv_attachment(f"{name}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv", report.drawn["csv"])
