"""The roll-ups the worker keeps match a full recount, its pass catches up and counts today again, the
day's SIM counts are what it saw, and the command line rebuilds."""

from datetime import UTC, date, timedelta

import pytest
from django.utils import timezone

from reports.days import bounds, today
from reports.models import Figure, RolledDay
from reports.services import rollup_day, rollup_pass, rollup_rebuild
from reports.services.rollup import MOST_DAYS_A_PASS
from sims.lifecycle import Command, RequestState, SimState
from sims.reasons import StopReason
from tests.conftest import manage
from tests.reports import world

pytestmark = pytest.mark.django_db


def kept() -> dict[tuple, int]:
    return {(f.day, f.report, f.key): f.value for f in Figure.objects.exclude(report="held")}


def test_a_day_is_its_own_midnight_to_the_next_23_or_25_hours_at_the_clock_changes():
    def utc(instant):  # Python subtracts two times of one zone by their clocks: compare instants
        return instant.astimezone(UTC)

    hours = {d: (utc(bounds(d)[1]) - utc(bounds(d)[0])) / timedelta(hours=1)
             for d in (date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 25))}
    assert hours == {date(2026, 3, 29): 23, date(2026, 3, 30): 24, date(2026, 10, 25): 25}


def test_the_roll_ups_kept_pass_by_pass_match_a_full_recount():
    days = [date(2026, 10, 24) + timedelta(days=n) for n in range(3)]
    for n, day in enumerate(days):  # the worker rolls each day while it is being written, then once more
        for hour in ("08:00", "12:00", "23:30"):
            instant = f"{day}T{hour}+00:00"
            world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=instant, actor_name="priya")
            world.request(Command.SUSPEND, RequestState.SUCCESS, settled=instant, reason=StopReason.LOST)
            world.request(Command.SUSPEND, RequestState.REJECTED, settled=instant, codes=(63003,))
            world.request(Command.DEACTIVATE, RequestState.SUCCESS, created=instant, sent=instant,
                          settled=f"{day}T{hour[:2]}:4{n}+00:00", unknown=instant)
            world.stock("AQL-A", (instant, 1000 - 10 * n - int(hour[:2])))
            rollup_day(day)
        if n:
            rollup_day(days[n - 1])
    world.replacement(f"{days[1]}T09:00+00:00")
    rollup_day(days[1])
    incremental = kept()
    Figure.objects.all().delete()
    rollup_rebuild(since=days[0] - timedelta(days=1))
    recount = {k: v for k, v in kept().items() if k[0] <= days[-1]}
    assert incremental == recount
    assert len(incremental) > 40  # every report had something to count


def test_the_pass_counts_today_and_yesterday_again_and_catches_up_after_time_off(monkeypatch):
    now = today()
    world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=timezone.now().isoformat())
    assert rollup_pass() == 1  # a first pass: from the first record (today) to today
    assert Figure.objects.get(day=now, report="lines", key="activate").value == 1
    assert set(Figure.objects.filter(day=now, report="held").values_list("key", flat=True)) >= {SimState.ACTIVE}
    RolledDay.objects.all().delete()
    RolledDay.objects.create(day=now - timedelta(days=100), rolled_at=timezone.now())  # off for 100 days
    assert rollup_pass() == MOST_DAYS_A_PASS
    assert RolledDay.objects.order_by("-day").first().day == now - timedelta(days=100 - MOST_DAYS_A_PASS + 1)
    assert rollup_pass() == 100 - MOST_DAYS_A_PASS + 2  # the rest, up to today
    assert rollup_pass() == 2  # then yesterday and today, each pass


def test_a_day_no_pass_saw_has_no_sim_counts_and_a_rebuild_leaves_those_seen():
    rollup_pass()
    seen = dict(Figure.objects.filter(report="held").values_list("key", "value"))
    rollup_rebuild(since=today() - timedelta(days=3))
    assert dict(Figure.objects.filter(report="held").values_list("key", "value")) == seen
    assert not Figure.objects.filter(report="held", day__lt=today()).exists()


def test_the_command_line_rolls_up_and_rebuilds_and_says_what_it_did():
    assert manage("reports", "rollup") == (0, "1 day(s) rolled up.\n")
    assert manage("reports", "rebuild", "--since", str(today() - timedelta(days=2))) == (
        0, "3 day(s) counted again from the records.\n")
    status, said = manage("reports", "rebuild", "--since", "yesterday")
    assert status != 0 and "--since wants a date as YYYY-MM-DD, not 'yesterday'." in said


def test_commands_sent_to_the_simulator_and_settled_by_the_worker_are_in_the_next_pass(world, make_sim, staff):
    from reports import tasks as report_tasks
    from reports.periods import Period
    from reports.selectors_lines import lines, reasons
    from reports.selectors_ops import activity, speed
    from sims import services, tasks
    from sims.models import GatewayRequest

    sim = make_sim(1, number="44113000001")
    services.sim_suspend(sim_id=sim.pk, actor=staff, reason=StopReason.STOLEN)
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.update(next_poll_at=timezone.now())  # its first check due now, not in 30 minutes
    tasks.poll_pass()
    assert GatewayRequest.objects.get().state == RequestState.SUCCESS
    assert report_tasks.rollup() == 1
    now = Period(today(), today(), "day")
    assert lines(now).rows[0][1:] == [0, 0, 1, 0, 0, 0]  # suspended one; none active at the end
    assert ["Stolen", 1, 0] in reasons(now).rows
    # a service called by the test itself, outside any interface: the system's, but a person's request
    assert (activity(now).columns, activity(now).rows) == ([("Person", "text"), ("System", "count"), ("All", "count")],
                                                          [["agent", 1, 1]])
    assert [row[1:3] for row in speed(now).rows] == [["Suspend", 1]]


def test_todays_sim_counts_stamp_the_day_so_kept_reports_are_made_again():
    from reports import selectors
    from reports.services.rollup import held_snapshot

    rollup_day(today())
    before = selectors.last_rolled()
    held_snapshot()  # the pass's last step, after the days: the held figures change the reports too
    assert selectors.last_rolled() > before
