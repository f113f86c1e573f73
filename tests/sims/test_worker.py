"""The worker's steps, in-process, against the simulator: polling policy, outcomes, unknowns, drift."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from aql.usim import Queued
from common.errors import Refused
from common.models import Heartbeat, Lease
from ops import gateway, heartbeat, pipeline, worker
from ops.leases import alone
from sims import services, tasks
from sims.lifecycle import RequestStep, SimState
from sims.models import GatewayRequest, GeographicNumber, RequestState, Sim, SimEvent
from sims.services import answers
from tests.conftest import activation, iccid, make_schedules, many_sims

pytestmark = pytest.mark.django_db


def due_now(request: GatewayRequest) -> None:
    """Skip the wait: the request is due for the worker now."""
    GatewayRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))


def reload(request: GatewayRequest) -> GatewayRequest:
    return GatewayRequest.objects.get(pk=request.pk)


def seconds_until_next_poll(request: GatewayRequest) -> float:
    return (reload(request).next_poll_at - timezone.now()).total_seconds()


@pytest.fixture
def suspended_pending(world, staff, make_sim) -> GatewayRequest:
    """A suspend aql has accepted, due for its first checkstatus."""
    sim = make_sim(1, number="44113000001")
    request = services.sim_suspend(sim_id=sim.pk, actor=staff)
    due_now(request)
    return request


# --- the polling policy ---------------------------------------------------------------------------

def test_the_first_checkstatus_waits_the_configured_delay(world, staff, make_sim, settings):
    settings.AQL_FIRST_POLL_DELAY = 1800
    request = services.sim_suspend(sim_id=make_sim(1, number="44113000001").pk, actor=staff)
    assert 1790 < seconds_until_next_poll(request) <= 1800
    assert tasks.poll_pass() == 0
    assert world.fake.count("checkstatus") == 0


def test_later_polls_wait_longer_each_time_up_to_a_cap_with_jitter(settings):
    settings.AQL_POLL_INTERVAL, settings.AQL_POLL_MAX_INTERVAL = 300, 3600
    for count, expected in ((0, 300), (1, 600), (2, 1200), (3, 2400), (4, 3600), (30, 3600)):
        waits = [services.poll_delay(count) for _ in range(50)]
        assert all(0.9 * expected <= w <= 1.1 * expected for w in waits)
        assert len(set(waits)) > 1  # jittered


def test_a_pending_answer_polls_again_later(world, suspended_pending):
    assert tasks.poll_pass() == 1
    request = reload(suspended_pending)
    assert (request.state, request.poll_count) == (RequestState.PENDING, 1)
    assert seconds_until_next_poll(request) > 250
    assert "requeststate: pending" in request.reply


def test_63022_poll_again_later_keeps_the_request(world, suspended_pending):
    world.fake.faults.poll_again_within = 3600
    tasks.poll_pass()
    request = reload(suspended_pending)
    assert request.state == RequestState.PENDING and "63022" in request.reply
    assert seconds_until_next_poll(request) > 250


def test_63027_congestion_waits_at_least_five_minutes(world, suspended_pending, settings):
    settings.AQL_POLL_INTERVAL = 10
    world.fake.force("checkstatus", [63027])
    tasks.poll_pass()
    assert reload(suspended_pending).state == RequestState.PENDING
    assert seconds_until_next_poll(suspended_pending) >= 0.9 * 300


@pytest.mark.parametrize("fault", ["code 500", "http500_rate", "malformed_rate", "hang_rate"])
def test_gateway_faults_back_off_and_lose_nothing(world, suspended_pending, settings, fault):
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_seconds = 1.0
    if fault == "code 500":
        world.fake.force("checkstatus", [500])
    else:
        setattr(world.fake.faults, fault, 1.0)
    tasks.poll_pass()
    request = reload(suspended_pending)
    assert (request.state, request.poll_count) == (RequestState.PENDING, 1)
    assert seconds_until_next_poll(request) > 250
    # the fault clears: the next pass settles it
    world.fake.faults.http500_rate = world.fake.faults.malformed_rate = world.fake.faults.hang_rate = 0
    world.fake.advance(world.fake.faults.settle_after)
    due_now(request)
    tasks.poll_pass()
    assert reload(request).state == RequestState.SUCCESS
    assert Sim.objects.get(pk=request.sim_id).state == SimState.SUSPENDED


def test_success_and_failure_are_applied_by_the_pass(world, staff, make_sim):
    ok = services.sim_suspend(sim_id=make_sim(1, number="44113000001").pk, actor=staff)
    world.fake.faults.fail_rate = 1.0
    failing = services.sim_suspend(sim_id=make_sim(2, number="44113000002").pk, actor=staff)
    world.fake.advance(world.fake.faults.settle_after)
    due_now(ok)
    due_now(failing)
    assert tasks.poll_pass() == 2
    assert (reload(ok).state, Sim.objects.get(pk=ok.sim_id).state) == (RequestState.SUCCESS, SimState.SUSPENDED)
    assert (reload(failing).state, Sim.objects.get(pk=failing.sim_id).state) == (RequestState.FAILED,
                                                                                  SimState.ACTIVE)
    assert Sim.objects.get(pk=failing.sim_id).events.first().message == "Suspend failed: the network refused it."


def test_a_request_pending_too_long_is_flagged_once_and_still_polled(world, suspended_pending, settings):
    settings.AQL_STALE_AFTER = 3600
    GatewayRequest.objects.filter(pk=suspended_pending.pk).update(created_at=timezone.now() - timedelta(hours=5))
    tasks.poll_pass()
    request = reload(suspended_pending)
    assert request.needs_attention and request.state == RequestState.PENDING
    assert request.events.filter(action="attention").count() == 1
    due_now(request)
    tasks.poll_pass()
    assert request.events.filter(action="attention").count() == 1
    assert reload(request).poll_count == 2


def test_applying_the_same_success_twice_changes_nothing_the_second_time(world, suspended_pending):
    world.fake.advance(world.fake.faults.settle_after)
    services.request_poll(request_id=suspended_pending.pk)
    events = Sim.objects.get(pk=suspended_pending.sim_id).events.count()
    services.request_poll(request_id=suspended_pending.pk)
    assert Sim.objects.get(pk=suspended_pending.sim_id).events.count() == events
    assert world.fake.count("checkstatus") == 1


# --- unknown outcomes ------------------------------------------------------------------------------

@pytest.fixture
def slow_gateway(world, settings):
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_seconds = 1.0
    return world


def test_an_unknown_activation_that_took_effect_is_recorded_as_done(slow_gateway, staff):
    world = slow_gateway
    world.fake.faults.hang_rate = 1.0  # aql acts, the answer never arrives in time
    request = services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(0)).pk, actor=staff, **activation())
    assert request.state == RequestState.UNKNOWN
    world.fake.faults.hang_rate = 0
    world.fake.advance(world.fake.faults.settle_after)
    due_now(request)
    tasks.poll_pass()
    sim = Sim.objects.get(pk=request.sim_id)
    assert reload(request).state == RequestState.SUCCESS
    assert (sim.state, sim.number.number) == (SimState.ACTIVE, "44113000005")
    assert world.fake.count("activate") == 1  # never resent


def past_the_settle_window(request: GatewayRequest) -> None:
    """Let longer than aql ever takes pass since the request was sent."""
    GatewayRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(days=2))


def test_an_unknown_activation_with_no_effect_stays_unknown_until_the_settle_window_then_is_undone(
        slow_gateway, staff):
    world = slow_gateway
    world.fake.faults.http500_rate = 1.0  # aql falls over before acting (as far as the reply lets us see)
    request = services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(0)).pk, actor=staff, **activation())
    assert request.state == RequestState.UNKNOWN
    world.fake.faults.http500_rate = 0
    due_now(request)
    tasks.poll_pass()  # aql shows no change: that proves nothing while it may still be working
    assert reload(request).state == RequestState.UNKNOWN and seconds_until_next_poll(request) > 0
    assert Sim.objects.get(pk=request.sim_id).state == SimState.PENDING
    past_the_settle_window(request)
    due_now(request)
    tasks.poll_pass()
    sim = Sim.objects.get(pk=request.sim_id)
    assert reload(request).state == RequestState.NOT_SENT
    assert (sim.state, sim.subscriber) == (SimState.UNUSED, None)
    assert GeographicNumber.objects.get(number="44113000005").held_by is None
    assert "did not take effect" in sim.events.first().message
    assert sim.recheck_at is not None  # compared with aql again soon
    assert world.fake.count("activate") == 1


def test_an_unknown_while_aql_is_still_activating_waits(slow_gateway, staff):
    world = slow_gateway
    world.fake.faults.hang_rate = 1.0
    request = services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(0)).pk, actor=staff, **activation())
    world.fake.faults.hang_rate = 0
    due_now(request)
    tasks.poll_pass()  # aql says "pending": not settled either way yet
    assert reload(request).state == RequestState.UNKNOWN and seconds_until_next_poll(request) > 0


def test_an_unknown_service_change_aql_cannot_show_asks_staff(slow_gateway, staff, make_sim):
    world = slow_gateway
    world.fake.faults.hang_rate = 1.0
    request = services.sim_services_add(sim_id=make_sim(1, number="44113000001").pk, actor=staff, services=["mo_sms"])
    world.fake.faults.hang_rate = 0
    world.fake.advance(world.fake.faults.settle_after)
    due_now(request)
    tasks.poll_pass()
    request = reload(request)
    assert request.state == RequestState.UNKNOWN and request.needs_attention
    # staff ask aql, and settle it by hand on what it says: the SIM is free again
    services.sim_query(sim_id=request.sim_id, actor=staff)
    request = services.request_resolve(request_id=request.pk, happened=False, actor=staff)
    assert (request.state, request.needs_attention) == (RequestState.NOT_SENT, False)
    assert services.sim_suspend(sim_id=request.sim_id, actor=staff).state == RequestState.PENDING


def test_staff_can_record_that_an_unknown_request_happened(slow_gateway, staff, make_sim):
    world = slow_gateway
    world.fake.faults.hang_rate = 1.0
    request = services.sim_suspend(sim_id=make_sim(1, number="44113000001").pk, actor=staff)
    world.fake.faults.hang_rate = 0
    with pytest.raises(Refused, match="Ask aql about the SIM first"):  # evidence before a decision
        services.request_resolve(request_id=request.pk, happened=True, actor=staff)
    world.fake.advance(world.fake.faults.settle_after)
    services.sim_query(sim_id=request.sim_id, actor=staff)
    request = services.request_resolve(request_id=request.pk, happened=True, actor=staff)
    assert request.state == RequestState.SUCCESS
    event = request.events.get(action="settled")
    assert event.actor == staff and "marked as done by agent, having seen aql's record of" in event.message
    assert Sim.objects.get(pk=request.sim_id).state == SimState.SUSPENDED
    with pytest.raises(Refused):
        services.request_resolve(request_id=request.pk, happened=False, actor=staff)


def test_a_request_the_worker_sent_long_after_it_was_journalled_is_lost_only_long_after_its_send(world, make_sim):
    sim = make_sim(1, number="44113000001")
    sent = GatewayRequest.objects.create(sim=sim, command="suspend", state=RequestState.SENDING,
                                         state_before=SimState.ACTIVE, params={"geo_nos": "44113000001"})
    hour_ago = timezone.now() - timedelta(hours=1)
    GatewayRequest.objects.filter(pk=sent.pk).update(created_at=hour_ago, next_poll_at=timezone.now())
    assert services.request_mark_lost(older_than=180) == 0  # journalled an hour ago, sent just now
    GatewayRequest.objects.filter(pk=sent.pk).update(next_poll_at=hour_ago)
    assert services.request_mark_lost(older_than=180) == 1


def test_a_request_left_sending_by_a_dead_process_becomes_unknown_then_is_checked(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    lost = GatewayRequest.objects.create(sim=sim, command="suspend", state=RequestState.SENDING,
                                         state_before=SimState.ACTIVE, params={"geo_nos": "44113000001"})
    GatewayRequest.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    tasks.poll_pass()
    lost = reload(lost)
    assert lost.state == RequestState.UNKNOWN and "stopped mid-send" in lost.reply
    assert seconds_until_next_poll(lost) > 1700  # checked once aql would have finished it
    assert lost.events.filter(action="unknown").exists()
    due_now(lost)
    tasks.poll_pass()
    assert reload(lost).state == RequestState.UNKNOWN  # aql shows the SIM still active: not proof yet
    past_the_settle_window(lost)
    due_now(lost)
    tasks.poll_pass()
    assert reload(lost).state == RequestState.NOT_SENT  # still no change long after: it never happened
    assert world.fake.count("suspend") == 0


def test_a_late_answer_still_settles_a_request_marked_lost(world, staff, make_sim):
    from functools import partial

    sim = make_sim(1, number="44113000001")
    request = GatewayRequest.objects.create(sim=sim, command="suspend", state=RequestState.UNKNOWN,
                                            state_before=SimState.ACTIVE, params={"geo_nos": "44113000001"})
    queued = Queued(request_id=4242, raw="status: 200\nid: 4242")
    answers.settle(request.pk, RequestStep.ANSWER, partial(answers.queued, result=queued))
    assert (reload(request).state, reload(request).aql_id) == (RequestState.PENDING, 4242)


def test_an_answer_for_a_request_already_settled_changes_nothing(world, staff, make_sim):
    from functools import partial

    sim = make_sim(1, number="44113000001")
    request = GatewayRequest.objects.create(sim=sim, command="suspend", state=RequestState.NOT_SENT,
                                            state_before=SimState.ACTIVE, params={"geo_nos": "44113000001"})
    answers.settle(request.pk, RequestStep.ANSWER, partial(answers.unknown, reason="late"))
    assert reload(request).state == RequestState.NOT_SENT


def test_63025_from_checkstatus_turns_to_checking_the_sim(world, suspended_pending):
    world.fake.force("checkstatus", [63025])
    tasks.poll_pass()
    request = reload(suspended_pending)
    assert request.state == RequestState.UNKNOWN and "63025" in request.reply


def test_a_checkstatus_answer_about_another_sim_is_not_applied(world, suspended_pending, serve, settings):
    def other_sim(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"status: 200\nrequeststate: success\niccid: 1111111111000000009\n"]

    settings.AQL_USIM_URL = serve(other_sim) + "/mobile/configure_sim.php"
    gateway.reset()
    tasks.poll_pass()
    request = reload(suspended_pending)
    assert request.state == RequestState.PENDING and request.needs_attention
    assert Sim.objects.get(pk=request.sim_id).state == SimState.ACTIVE


# --- drift ------------------------------------------------------------------------------------------

def test_the_drift_pass_records_differences_and_skips_busy_and_terminated_sims(world, staff, make_sim, settings):
    settings.AQL_DRIFT_PER_HOUR = 18  # 3 a ten-minute pass
    drifted = make_sim(1, number="44113000001")
    world.fake.put_sim(drifted.iccid, state="suspended", geo_nos="44113000001")
    busy = make_sim(2, number="44113000002")
    services.sim_suspend(sim_id=busy.pk, actor=staff)
    make_sim(3, state=SimState.TERMINATED)
    assert tasks.drift_pass() == 3  # three of the unused and active ones, never the busy or terminated
    drifted = Sim.objects.get(pk=drifted.pk)
    assert drifted.state == SimState.SUSPENDED and drifted.checked_at is not None
    assert drifted.events.first().action == "drift"
    assert Sim.objects.get(pk=busy.pk).checked_at is None
    assert Heartbeat.objects.get(name="drift").at
    first = dict(Sim.objects.exclude(checked_at=None).values_list("pk", "checked_at"))
    tasks.drift_pass()  # the next pass takes ones never checked
    second = set(Sim.objects.filter(checked_at__gt=max(first.values())).values_list("pk", flat=True))
    assert len(second) == 3 and not second & set(first)


def test_routine_comparisons_go_after_the_days_kept_and_differences_and_staffs_questions_stay(
        world, staff, make_sim, settings, monkeypatch):
    from sims.services import followup

    monkeypatch.setattr(followup, "PRUNE_CHUNK", 2)  # several chunks, a kept one among them
    settings.AQL_CHECKS_KEPT_DAYS = 7
    routine = [make_sim(n, number=f"4411300000{n}") for n in (1, 2, 3, 4)]
    drifted = make_sim(5, number="44113000005")
    world.fake.put_sim(drifted.iccid, state="suspended", geo_nos="44113000005")
    busy = make_sim(6, number="44113000006")
    services.sim_suspend(sim_id=busy.pk, actor=staff)
    world.fake.put_sim(busy.iccid, state="suspended", geo_nos="44113000006")  # aql differs while it works
    for sim in [*routine, drifted, busy]:
        services.sim_query(sim_id=sim.pk, actor=None)  # the drift sweep's question
    services.sim_query(sim_id=routine[0].pk, actor=staff)  # a person's question
    recent = services.sim_query(sim_id=routine[1].pk, actor=None)
    GatewayRequest.objects.exclude(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert drifted.events.filter(action="drift").exists()

    assert services.checks_prune(days=7, budget=0) == 0  # a pass stops at its time budget; the next goes on
    assert tasks.prune_checks_pass() == 4  # the four old matches, each with its "Asked aql" line
    left = GatewayRequest.objects.filter(command="queryiccid")
    assert set(left.values_list("sim_id", "actor_name")) == {
        (drifted.pk, "system"), (busy.pk, "system"), (routine[0].pk, staff.username), (routine[1].pk, "system")}
    assert busy.events.filter(action="queried", message__contains="differs", request__isnull=False).exists()
    assert not SimEvent.objects.filter(request__isnull=True, action="queried").exists()  # none left behind
    assert drifted.events.filter(action="drift", request__isnull=False).exists()
    assert Heartbeat.objects.get(name="prune").at
    settings.AQL_CHECKS_KEPT_DAYS = 0  # kept for ever
    GatewayRequest.objects.update(created_at=timezone.now() - timedelta(days=800))
    assert tasks.prune_checks_pass() == 0 and left.count() == 4


# --- claiming, schedules, the command ---------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_claimers_racing_never_take_the_same_request(world, staff, make_sim):
    sims = [make_sim(n, number=f"4411300000{n}") for n in range(1, 9)]
    requests = [services.sim_suspend(sim_id=s.pk, actor=staff) for s in sims]
    GatewayRequest.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    barrier, claimed = threading.Barrier(4), []

    def claim() -> None:
        barrier.wait()
        try:
            claimed.append(services.request_claim_due(limit=3, lease=60))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    every = [pk for batch in claimed for pk in batch]
    assert len(every) == len(set(every)) == len(requests)


def test_a_claim_costs_the_same_queries_however_many_rows_it_takes(world, staff, make_sim):
    from django.test.utils import CaptureQueriesContext

    for n in range(1, 9):
        services.sim_suspend(sim_id=make_sim(n, number=f"4411300000{n}").pk, actor=staff)

    def claimed(limit: int) -> tuple[int, int]:
        GatewayRequest.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
        with CaptureQueriesContext(connection) as captured:
            ids = services.request_claim_due(limit=limit, lease=60)
        return len(ids), len(captured)

    (one, few), (eight, many) = claimed(1), claimed(8)
    assert (one, eight) == (1, 8) and few == many  # one UPDATE for them all, not one a row


def test_the_migrations_make_each_tasks_schedule_once_however_often_they_run(db):
    from django_q.models import Schedule

    from api.tasks import SCHEDULES as API_SCHEDULES
    from notices.tasks import SCHEDULES as NOTICE_SCHEDULES
    from ops.seal import SCHEDULES as SEAL_SCHEDULES
    from orders.tasks import SCHEDULES as ORDER_SCHEDULES
    from reports.tasks import SCHEDULES as REPORT_SCHEDULES

    for _ in range(2):  # the migrations already ran once
        make_schedules()
    every = tasks.SCHEDULES | ORDER_SCHEDULES | worker.SCHEDULES | API_SCHEDULES | NOTICE_SCHEDULES | SEAL_SCHEDULES
    every |= REPORT_SCHEDULES
    assert dict(Schedule.objects.values_list("func", "minutes")) == every
    assert Schedule.objects.count() == len(every)


def test_poll_once_runs_one_pass_and_records_the_heartbeat(world, suspended_pending):
    out = StringIO()
    call_command("poll", "--once", stdout=out)
    assert out.getvalue() == "1 requests checked.\n"
    assert Heartbeat.objects.get(name="poll").at > timezone.now() - timedelta(minutes=1)


# --- the follower: due requests within seconds, one follower at a time -----------------------------

def test_the_follower_polls_a_request_that_falls_due_after_it_started(world, suspended_pending):
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(pk=suspended_pending.pk).update(
        next_poll_at=timezone.now() + timedelta(seconds=1.5))  # not due when the follower starts
    assert worker.follow(span=3.5) >= 1  # ...but looked at once it is, not a minute later
    assert reload(suspended_pending).state == RequestState.SUCCESS


def test_a_second_follower_leaves_at_once_while_the_first_holds_the_lease(world, suspended_pending):
    with alone("follower", seconds=60) as mine:
        assert mine
        assert worker.follow(span=2) == 0
        assert reload(suspended_pending).poll_count == 0
    assert worker.follow(span=0.5) >= 1  # let go when the first is done
    assert reload(suspended_pending).poll_count == 1


def test_a_lease_its_holder_never_let_go_runs_out(db):
    Lease.objects.create(name="follow-requests", holder="dead", until=timezone.now() - timedelta(seconds=1))
    with alone("follow-requests", seconds=60) as mine:
        assert mine
        with alone("follow-requests", seconds=60) as other:
            assert not other
    assert Lease.objects.get().until <= timezone.now()


STRAY = "8944000000000000019"


def test_a_sim_aql_refuses_to_describe_goes_to_the_back_of_the_drift_queue(world, settings):
    settings.AQL_DRIFT_PER_HOUR = 36_000  # ten a second: several rounds in the span
    services.sim_add(iccids=[STRAY])  # ours, but not on aql's account: 63003 every time
    worker.follow(span=3, every=0.2)
    stray = sum(1 for c in world.fake.calls if c.command == "queryiccid" and c.params.get("iccid") == STRAY)
    assert Sim.objects.exclude(iccid=STRAY).filter(checked_at__isnull=True).count() == 0
    assert 1 <= stray <= 1 + world.fake.count("queryiccid") // Sim.objects.count()  # its turn, like the others


def test_a_pass_by_hand_sends_nothing_beside_a_running_follower(world, suspended_pending):
    with alone("follower", seconds=60) as hold:
        assert hold
        assert tasks.poll_pass() is None
        out = StringIO()
        call_command("poll", "--once", stdout=out)
        assert "The worker's follower is running: it checks due requests itself." in out.getvalue()
        assert world.fake.count("checkstatus") == 0
    assert tasks.poll_pass() == 1


def test_a_follower_keeps_its_lease_while_it_works_and_lets_go_after(db):
    with alone("follower", seconds=1) as hold:
        hold.renew(120)
        assert Lease.objects.get().until > timezone.now() + timedelta(seconds=100)
    assert Lease.objects.get().until <= timezone.now()


def test_a_follower_whose_lease_was_taken_meanwhile_takes_no_more_work(db, settings):
    settings.AQL_MAX_CONCURRENCY = 1  # one step at a time, in this thread
    steps: list[int] = []

    def step(pk: int) -> None:
        steps.append(pk)  # ...and meanwhile the lease ran out and another follower took it
        Lease.objects.update(holder="another", until=timezone.now() + timedelta(minutes=5))
        hold.ends = 0.0  # due a renewal at the next look

    with alone("follower", seconds=60) as hold:
        pipeline.run([pipeline.Lane("test", 0, lambda n: [len(steps)], step)], hold=hold, every=0.01,
                         going=lambda: len(steps) < 3)  # without the check, three would be taken
    assert steps == [0] and not hold
    assert Lease.objects.get().holder == "another"  # and left alone on leaving


def test_a_pass_with_nothing_due_costs_the_same_few_queries_however_much_waits(world):
    from django.test.utils import CaptureQueriesContext

    def statements() -> int:  # SQLite's BEGIN and COMMIT are not questions to the database
        tasks.poll_pass()  # the first makes its heartbeat row
        with CaptureQueriesContext(connection) as captured:
            tasks.poll_pass()
        return sum(not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")) for q in captured)

    few = statements()
    GatewayRequest.objects.bulk_create(  # requests waiting on aql, not yet due
        GatewayRequest(sim=sim, command="suspend", state=RequestState.PENDING, state_before="active", aql_id=str(n),
                       next_poll_at=timezone.now() + timedelta(hours=1)) for n, sim in enumerate(many_sims(40)))
    assert statements() == few <= 8, few


def test_a_heartbeat_is_one_update_once_its_row_is_there(db):
    from django.test.utils import CaptureQueriesContext

    heartbeat.heartbeat(name="poll")  # the first makes the row
    with CaptureQueriesContext(connection) as captured:
        heartbeat.heartbeat(name="poll")
    assert [q["sql"].split()[0] for q in captured] == ["UPDATE"]
