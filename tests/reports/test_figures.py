"""Each report's figures against a journal whose numbers are known: days in the site's time zone
(Europe/London) across both changes of the clocks, a day with nothing in it, and a day not rolled up."""

from datetime import date

import pytest

from reports import selectors_lines, selectors_ops
from reports.days import each_day
from reports.periods import Period
from reports.services import rollup_day
from sims.lifecycle import Command, RequestState
from sims.reasons import StopReason
from tests.reports import world

pytestmark = pytest.mark.django_db


def roll(first: date, last: date) -> None:
    for day in each_day(first, last):
        rollup_day(day)


def rows(report) -> list[list]:
    return report.rows


def test_days_are_the_sites_days_across_the_change_to_summer_time_and_back(settings):
    assert settings.TIME_ZONE == "Europe/London"
    # 29 March 2026: the clocks go forward at 01:00 GMT (a 23-hour day).
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-03-29T00:30+00:00")  # 00:30 GMT: the 29th
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-03-29T22:59+00:00")  # 23:59 BST: the 29th
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-03-29T23:30+00:00")  # 00:30 BST: the 30th
    # 25 October 2026: back at 02:00 BST (a 25-hour day).
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-10-24T23:30+00:00")  # 00:30 BST: the 25th
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-10-25T01:30+00:00")  # 01:30 GMT, the second
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-10-25T23:59+00:00")  # 23:59 GMT: the 25th
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-10-26T00:00+00:00")  # midnight: the 26th
    roll(date(2026, 3, 27), date(2026, 3, 31))
    roll(date(2026, 10, 23), date(2026, 10, 27))

    spring = selectors_lines.lines(Period(date(2026, 3, 27), date(2026, 3, 31), "day"))
    assert [(r[0], r[1]) for r in spring.rows] == [
        ("Fri 27 Mar 2026", 0), ("Sat 28 Mar 2026", 0), ("Sun 29 Mar 2026", 2), ("Mon 30 Mar 2026", 1),
        ("Tue 31 Mar 2026", 0)]  # the 27th, 28th and 31st: days with nothing in them, nought not unknown
    autumn = selectors_lines.lines(Period(date(2026, 10, 23), date(2026, 10, 27), "day"))
    assert [r[1] for r in autumn.rows] == [0, 0, 3, 1, 0]
    by_week = selectors_lines.lines(Period(date(2026, 3, 27), date(2026, 3, 31), "week"))
    assert [(r[0], r[1]) for r in by_week.rows] == [("Week of 23 Mar 2026", 2), ("Week of 30 Mar 2026", 1)]
    assert selectors_lines.lines(Period(date(2026, 3, 27), date(2026, 3, 31), "month")).rows[0][:2] == ["March 2026", 3]


def test_a_day_the_worker_has_not_rolled_up_is_not_known_never_nought():
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled="2026-05-02T10:00+01:00")
    roll(date(2026, 5, 1), date(2026, 5, 1))  # the 2nd and 3rd not rolled up
    report = selectors_lines.lines(Period(date(2026, 5, 1), date(2026, 5, 3), "day"))
    assert [r[1] for r in report.rows] == [0, None, None]
    assert report.rows[0][-1] is None  # no SIM counts seen that day: active lines not known
    assert "2 days of the period not yet rolled up" in selectors_lines.reasons(
        Period(date(2026, 5, 1), date(2026, 5, 3), "day")).note


def test_lines_count_each_kind_stops_by_reason_and_a_replacement_as_one():
    day = "2026-06-10T{}+01:00"
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=day.format("09:00"))
    world.request(Command.ACTIVATE, RequestState.FAILED, settled=day.format("09:10"))  # not a line
    world.request(Command.REACTIVATE, RequestState.SUCCESS, settled=day.format("09:20"))
    world.request(Command.SUSPEND, RequestState.SUCCESS, settled=day.format("09:30"), reason=StopReason.LOST)
    world.request(Command.SUSPEND, RequestState.SUCCESS, settled=day.format("09:40"), reason=StopReason.UNPAID)
    world.request(Command.SUSPEND, RequestState.SUCCESS, settled=day.format("09:50"))  # from before reasons
    world.request(Command.DEACTIVATE, RequestState.SUCCESS, settled=day.format("10:00"), reason=StopReason.STOLEN)
    world.replacement(day.format("11:00"))  # its activation and termination are not lines gained and lost
    roll(date(2026, 6, 10), date(2026, 6, 10))
    period = Period(date(2026, 6, 10), date(2026, 6, 10), "day")
    assert selectors_lines.lines(period).rows == [["Wed 10 Jun 2026", 1, 1, 3, 1, 1, None]]
    by_reason = {r[0]: (r[1], r[2]) for r in selectors_lines.reasons(period).rows}
    assert by_reason == {"Lost": (1, 0), "Stolen": (0, 1), "Customer request": (0, 0), "Unpaid": (1, 0),
                         "Fraud suspected": (0, 0), "Other": (0, 0), "Replaced by a new SIM": (0, 1),
                         "Not said": (1, 0)}  # the replacement's termination: replaced, not "not said"


def test_refusals_by_code_in_words_and_unknowns_by_how_they_were_settled():
    day = "2026-06-11T{}+01:00"
    world.request(Command.ACTIVATE, RequestState.REJECTED, settled=day.format("09:00"), codes=(63007,))
    world.request(Command.ACTIVATE, RequestState.REJECTED, settled=day.format("09:05"), codes=(63007,))
    world.request(Command.SUSPEND, RequestState.FAILED, settled=day.format("09:10"), codes=(63003, 63007))
    world.request(Command.SUSPEND, RequestState.FAILED, settled=day.format("09:15"))  # aql gave no code
    world.request(Command.SUSPEND, RequestState.SUCCESS, settled=day.format("10:00"), unknown=day.format("09:00"))
    world.request(Command.SUSPEND, RequestState.NOT_SENT, settled=day.format("10:00"), unknown=day.format("09:00"))
    world.request(Command.SUSPEND, RequestState.NOT_SENT, settled=day.format("12:00"), unknown=day.format("09:00"),
                  by_hand=day.format("12:00"))
    world.request(Command.SUSPEND, RequestState.UNKNOWN, settled=None, created=day.format("09:00"),
                  unknown=day.format("09:30"))  # still unknown
    roll(date(2026, 6, 11), date(2026, 6, 11))
    period = Period(date(2026, 6, 11), date(2026, 6, 11), "day")
    assert selectors_lines.refusals(period).rows == [
        ["63007", "That IMEI is not valid: it should be the 15 digits shown by dialling *#06#.", 3],
        ["63003", "This SIM is not on our account at aql.", 1],
        ["none", "No code given", 1]]
    # became unknown; settled by aql's record: happened, did not; by hand: happened, did not
    assert selectors_lines.unknowns(period).rows == [["Thu 11 Jun 2026", 4, 1, 1, 0, 1]]


def test_speed_is_from_acceptance_to_the_final_state_median_and_95th_percentile_per_day():
    minutes = (1, 2, 30, 40, 60)  # nearest rank: the median is the 3rd, the 95th percentile the 5th
    for m in minutes:
        world.request(Command.ACTIVATE, RequestState.SUCCESS, created="2026-06-12T08:00+01:00",
                      sent="2026-06-12T09:00+01:00", settled=f"2026-06-12T{9 + m // 60:02d}:{m % 60:02d}+01:00")
    world.request(Command.ASSIGNGEO, RequestState.SUCCESS, created="2026-06-12T11:00+01:00",
                  settled="2026-06-12T11:00:04+01:00")  # one step: from its journalling, 4 seconds
    world.request(Command.ACTIVATE, RequestState.REJECTED, settled="2026-06-12T12:00+01:00")  # refused at once
    roll(date(2026, 6, 12), date(2026, 6, 12))
    report = selectors_ops.speed(Period(date(2026, 6, 12), date(2026, 6, 12), "day"))
    assert report.rows == [["Fri 12 Jun 2026", "Activate", 5, 30 * 60, 60 * 60, 2],  # 30 minutes is not over
                           ["Fri 12 Jun 2026", "Assign number", 1, 4, 4, 0]]


def test_staff_activity_by_person_and_interface_leaves_the_system_out():
    day = "2026-06-13T{}+01:00"
    for interface in ("web", "web", "api"):
        world.request(Command.SUSPEND, RequestState.SUCCESS, settled=day.format("10:00"), actor_name="priya",
                      interface=interface)
    world.request(Command.SUSPEND, RequestState.SUCCESS, settled=day.format("10:00"), actor_name="olu",
                  interface="admin")
    world.request(Command.QUERYICCID, RequestState.SUCCESS, settled=day.format("10:00"))  # the system's check
    roll(date(2026, 6, 13), date(2026, 6, 13))
    report = selectors_ops.activity(Period(date(2026, 6, 13), date(2026, 6, 13), "day"))
    assert [c for c, _ in report.columns] == ["Person", "Staff site", "Django admin", "API", "All"]
    assert report.rows == [["priya", 2, 0, 1, 3], ["olu", 0, 1, 0, 1]]


def test_stock_levels_use_and_days_left_at_the_last_thirty_days_rate(settings, monkeypatch):
    settings.STOCK_LEAD_DAYS = 10
    world.stock("AQL-A", ("2026-06-01T09:00+01:00", 500), ("2026-06-01T15:00+01:00", 470),
                ("2026-06-02T09:00+01:00", 1470), ("2026-06-02T18:00+01:00", 1440))  # 1,000 added on the 2nd
    world.stock("AQL-B", ("2026-06-02T09:00+01:00", 80))  # none used
    world.stock("AQL-C")  # aql never reported it
    roll(date(2026, 5, 31), date(2026, 6, 3))
    period = Period(date(2026, 5, 31), date(2026, 6, 3), "day")
    assert selectors_ops.stock(period).rows == [
        ["Sun 31 May 2026", None, 0, None, 0], ["Mon 01 Jun 2026", 470, 30, None, 0],
        ["Tue 02 Jun 2026", 1440, 30, 80, 0], ["Wed 03 Jun 2026", 1440, 0, 80, 0]]
    monkeypatch.setattr("reports.selectors_ops.today", lambda: date(2026, 6, 3))
    left = {r[0]: r[1:] for r in selectors_ops.stock_left().rows}
    # 60 used over the 4 days counted (the other 26 not rolled up): 15 a day; 1,440 last 96 days
    assert left["AQL-A"] == [1440, 60, "15.0", 96, "28 Aug 2026"]  # 3 June + 96 days - 10 days' lead time
    assert left["AQL-B"] == [80, 0, "0.0", None, "none used in 4 days"]
    assert left["AQL-C"] == [None, 0, "0.0", None, "not known"]


def test_active_lines_at_a_groups_end_are_those_seen_on_its_last_day_or_not_known():
    from reports.models import Figure

    roll(date(2026, 6, 1), date(2026, 6, 14))  # two whole weeks, Monday to Sunday
    Figure.objects.bulk_create([Figure(day=date(2026, 6, 3), report="held", key="active", value=40),  # mid-week
                                Figure(day=date(2026, 6, 14), report="held", key="active", value=42),
                                Figure(day=date(2026, 6, 7), report="held", key="suspended", value=3)])  # none active
    by_week = selectors_lines.lines(Period(date(2026, 6, 1), date(2026, 6, 14), "week"))
    assert [r[-1] for r in by_week.rows] == [0, 42]  # the 7th was seen: none active then
    by_day = selectors_lines.lines(Period(date(2026, 6, 2), date(2026, 6, 4), "day"))
    assert [r[-1] for r in by_day.rows] == [None, 40, None]  # a day no pass saw: not the day before's figure
    Figure.objects.filter(day=date(2026, 6, 7)).delete()
    assert selectors_lines.lines(Period(date(2026, 6, 1), date(2026, 6, 7), "week")).rows[0][-1] is None
