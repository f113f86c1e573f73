"""The Reports page and its CSV downloads: who sees what, the period chosen (and refused in words), the
figures in the table and in the chart's data, and a fixed number of queries however many figures."""

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import selectors
from reports.days import today
from reports.models import Figure, RolledDay
from reports.services import rollup_day
from sims.lifecycle import Command, RequestState
from tests.conftest import member_of
from tests.reports import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(client):
    client.force_login(member_of("Supervisor", "sam"))
    return client


def test_observers_see_the_reports_but_not_staff_activity_supervisors_see_both(client):
    client.force_login(member_of("Observer", "olu"))
    page = client.get("/reports/").text
    assert "Lines" in page and "aql&#x27;s speed" in page and "Staff activity" not in page
    assert client.get("/reports/activity.csv").status_code == 404
    client.force_login(member_of("Supervisor", "sam"))
    assert "Staff activity" in client.get("/reports/").text
    client.force_login(member_of("Customer service", "cara"))
    assert client.get("/reports/").status_code == 403
    assert "Reports" not in client.get("/").text.split("<main")[0]  # no link in the header either


def test_the_table_and_the_chart_carry_the_same_figures_and_a_day_not_rolled_up_says_so(supervisor):
    yesterday = today() - timedelta(days=1)
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=f"{yesterday}T12:00+00:00")
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=f"{yesterday}T13:00+00:00")
    rollup_day(yesterday)  # today not rolled up yet
    page = supervisor.get("/reports/?range=7").text
    lines = page[page.index('id="report-lines"'):page.index('id="report-reasons"')]
    cells = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td class=\"num\">([^<]+)</td>", lines)
    assert cells[-2:] == [(f"{yesterday:%a %d %b %Y}", "2"), (f"{today():%a %d %b %Y}", "not known")]
    chart = json.loads(re.search(r'<script id="chart-lines" type="application/json">(.+?)</script>', page).group(1))
    assert chart["data"]["datasets"][0]["label"] == "Activated"
    assert chart["data"]["datasets"][0]["data"][-2:] == [2, None]  # a gap in the chart, not a nought


def test_a_period_of_chosen_dates_grouped_by_week_and_its_csv(supervisor):
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-06-03T12:00+01:00")
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-06-09T12:00+01:00")
    for n in range(10):
        rollup_day(date(2026, 6, 1) + timedelta(days=n))
    query = "range=dates&start=2026-06-01&end=2026-06-10&group=week"
    page = supervisor.get(f"/reports/?{query}").text
    assert "Week of 01 Jun 2026" in page and "Week of 08 Jun 2026" in page
    got = supervisor.get(f"/reports/lines.csv?{query}")
    assert got["Content-Disposition"] == 'attachment; filename="lines-20260601-20260610.csv"'
    rows = list(csv.reader(io.StringIO(got.content.decode())))
    assert rows == [["Period", "Activated", "Reactivated", "Suspended", "Terminated", "Replaced", "Active at the end"],
                    ["Week of 01 Jun 2026", "1", "0", "0", "0", "0", "not known"],
                    ["Week of 08 Jun 2026", "1", "0", "0", "0", "0", "not known"]]
    speed = supervisor.get(f"/reports/speed.csv?{query}")
    assert next(csv.reader(io.StringIO(speed.content.decode())))[3] == "Median (seconds)"


@pytest.mark.parametrize("query, field, words", [
    ("range=dates&start=2026-06-10&end=2026-06-01", "start", "The first day comes after the last: swap them."),
    ("range=dates&start=2026-06-01", "end", "Choose the last day of the period."),
    ("range=dates&start=2024-01-01&end=2026-06-01", "start", "A report covers at most 366 days"),
    ("range=dates&start=2026-06-01&end=2999-01-01", "end", "The period cannot end after today"),
    ("range=dates&start=not-a-date&end=2026-06-01", "start", "Enter a valid date."),
    ("range=12", "range", "Select a valid choice."),
])
def test_a_bad_period_is_refused_next_to_its_field_and_nothing_is_shown(supervisor, query, field, words):
    response = supervisor.get(f"/reports/?{query}")
    assert response.status_code == 200
    error = re.search(rf'<p class="error" id="id_{field}_error">([^<]+)</p>', response.text)
    assert error and words in error.group(1).replace("&#x27;", "'")
    assert 'class="report"' not in response.text
    assert supervisor.get(f"/reports/lines.csv?{query}").status_code == 400


def test_the_page_runs_the_same_queries_however_many_figures(supervisor):
    def queries() -> int:
        supervisor.get("/reports/?range=90")  # warm: the session, permissions
        selectors._kept.clear()  # the reports made afresh, as after a roll-up
        with CaptureQueriesContext(connection) as seen:
            assert supervisor.get("/reports/?range=90").status_code == 200
        return len(seen)

    few = queries()
    first = today() - timedelta(days=89)
    for n in range(90):
        day = first + timedelta(days=n)
        RolledDay.objects.create(day=day, rolled_at=f"{day}T23:00+00:00")
        Figure.objects.bulk_create([Figure(day=day, report=report, key=key, value=n)
                                    for report, keys in (("lines", ["activate", "suspend:lost"]),
                                                         ("refusals", ["63003", "63007"]),
                                                         ("speed", ["activate:n", "activate:p50", "activate:p95",
                                                                    "activate:over"]),
                                                         ("activity", [f"person{p}|web" for p in range(20)]),
                                                         ("stock", ["AQL-A:level", "AQL-A:used"]))
                                    for key in keys])
    assert queries() == few


def test_a_report_is_kept_until_the_worker_rolls_up_again_and_then_shows_the_new_count(supervisor):
    yesterday = today() - timedelta(days=1)
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=f"{yesterday}T12:00+00:00")
    rollup_day(yesterday)

    def activated() -> str:
        page = supervisor.get("/reports/?range=7").text
        lines = page[page.index('id="report-lines"'):page.index('id="report-reasons"')]
        return dict(re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td class=\"num\">([^<]+)</td>", lines))[
            f"{yesterday:%a %d %b %Y}"]

    assert activated() == "1"
    with CaptureQueriesContext(connection) as seen:
        assert activated() == "1"
    read = [q["sql"] for q in seen.captured_queries if "reports_figure" in q["sql"]]
    assert len(read) == 1 and "stock" in read[0]  # only days of stock left, made each time; the rest kept
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=f"{yesterday}T13:00+00:00")
    assert activated() == "1"  # counted only when the worker rolls the day up again: the page says when it last did
    rollup_day(yesterday)
    assert activated() == "2"
    assert supervisor.get("/reports/lines.csv?range=7").status_code == 200
