"""Scaling out: two real `qcluster` processes, as on two machines, share one PostgreSQL database and
the Redis broker. Every request is settled once, aql never sees more than AQL_MAX_CONCURRENCY calls
at once from the two together (counted at the simulator), and each schedule runs once per interval.

Runs only on PostgreSQL with Q_REDIS_URL set (as .ci/run's Redis step does): SQLite is for one
machine, and the ORM broker on it is not how several machines share the work.
"""

import os
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule, Task

from aql.fake import Account, FakeAql, Faults
from common.models import Heartbeat
from sims import services
from sims.lifecycle import Command, SimState
from sims.models import GatewayRequest, GeographicNumber, RequestState, Sim, SimEvent
from tests.conftest import PASSWORD, USERNAME, Simulator, iccid, make_schedules
from tests.worker.test_cluster import kill, start_cluster
from tests.worker.test_follower import Counting

SHARED = bool(os.environ.get("Q_REDIS_URL")) and os.environ.get("DATABASE_URL", "").startswith("postgres")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not SHARED,
                       reason="two clusters share PostgreSQL and the Redis broker: set DATABASE_URL=postgres://... "
                              "and Q_REDIS_URL (.ci/run does)"),
    pytest.mark.timeout(240),
]
SIMS = 12
LIMIT = 2
PROBE = "probe: once per interval"


def probe() -> None:
    """A scheduled task that leaves one row each time it runs (the clusters import it from here)."""
    Heartbeat.objects.create(name=f"probe-{uuid.uuid4().hex[:20]}", at=timezone.now())


@pytest.fixture
def counted(serve, settings):
    fake = FakeAql(Account(username=USERNAME, password=PASSWORD), Faults(seed=1, latency=0.3, settle_after=1))
    turnstile = Counting(fake)
    return Simulator(fake, serve(turnstile)), turnstile


def active_sims(fake: FakeAql) -> list[Sim]:
    """SIMS active SIMs, each with a number, alike in our records and at the simulator."""
    sims = []
    for n in range(SIMS):
        ours, number = iccid(n), str(44113000000 + n)
        sim = Sim.objects.create(iccid=ours, iccid_reversed=ours[::-1], state=SimState.ACTIVE,
                                 number=GeographicNumber.objects.create(number=number, on_sim=True))
        fake.put_sim(ours, state=SimState.ACTIVE, geo_nos=number, services=("mo_voice", "mt_voice"))
        sims.append(sim)
    return sims


def test_two_clusters_on_one_database_and_redis_settle_each_request_once_within_the_limit(counted, staff):
    import redis

    simulator, turnstile = counted
    redis.Redis.from_url(django_settings.Q_REDIS_URL).delete(f"django_q:{django_settings.Q_CLUSTER['name']}:q")
    assert connection.vendor == "postgresql"
    make_schedules()
    Schedule.objects.create(name=PROBE, func=f"{__name__}.probe", schedule_type=Schedule.MINUTES, minutes=1)
    batch = services.batch_start(sim_ids=[s.pk for s in active_sims(simulator.fake)], command=Command.SUSPEND,
                                 actor=staff)  # journalled, waiting for the worker to send them
    started = timezone.now()
    Schedule.objects.update(next_run=started - timedelta(seconds=1))  # every schedule due now, in both clusters
    quick = set(Schedule.objects.exclude(func="ops.worker.follow_pass").values_list("name", flat=True))

    env = {"AQL_MAX_CONCURRENCY": str(LIMIT), "AQL_FIRST_POLL_DELAY": "1", "AQL_TIMEOUT": "5"}
    clusters = [start_cluster(simulator, **env), start_cluster(simulator, **env)]
    began = time.monotonic()
    try:
        # Each cluster's scheduler first looks 30 s after it starts, both at about the same moment:
        # the race for each due schedule. Wait for that round's tasks, and for the batch; all well
        # within the minute after which the minute-ly schedules are due again.
        while not (time.monotonic() - began > 35
                   and GatewayRequest.objects.filter(batch=batch, state=RequestState.SUCCESS).count() == SIMS
                   and set(Task.objects.values_list("group", flat=True)) >= quick):
            assert time.monotonic() - began < 55, (
                f"timed out: {list(GatewayRequest.objects.filter(batch=batch).values_list('state', flat=True))}, "
                f"schedules run: {sorted(set(Task.objects.values_list('group', flat=True)))} of {sorted(quick)}")
            time.sleep(0.5)
        assert all(cluster.poll() is None for cluster in clusters), "a cluster stopped"
    finally:
        for cluster in clusters:
            kill(cluster)
    elapsed = timezone.now() - started

    assert set(Sim.objects.values_list("state", flat=True)) == {SimState.SUSPENDED}
    assert simulator.fake.count("suspend") == SIMS  # each sent once, by one cluster or the other
    assert SimEvent.objects.filter(action="succeeded").count() == SIMS  # each settled once
    assert 1 <= turnstile.most <= LIMIT  # the two clusters together, counted at aql's door
    # Every schedule that was due ran once for each of its intervals that began meanwhile (one, on a
    # machine that keeps up; two clusters never make it two for one interval).
    every = dict(Schedule.objects.filter(name__in=quick).values_list("name", "minutes"))
    runs = {name: Task.objects.filter(group=name).count() for name in quick}
    allowed = {name: 1 + elapsed // timedelta(minutes=every[name] or 1) for name in quick}
    assert all(1 <= runs[name] <= allowed[name] for name in quick), (runs, allowed)
    assert 1 <= Heartbeat.objects.filter(name__startswith="probe-").count() <= allowed[PROBE]
