"""End to end: a real `qcluster` process follows a batch of activations to the end against the
simulator, and still does after being killed with SIGKILL in the middle of a polling pass."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_q.tasks import async_task

from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import GatewayRequest, RequestState, Sim, SimEvent
from tests.conftest import PASSWORD, USERNAME, activation, iccid, make_schedules

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
BATCH = 8


def database_url() -> str:
    """The test database, for the cluster process to share."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_cluster(aqlsim, **settings: str) -> subprocess.Popen:
    """A real `manage.py qcluster` on the test database and the simulator (`settings`: more of its environment)."""
    env = {**os.environ, "DATABASE_URL": database_url(), "AQL_USERNAME": USERNAME, "AQL_PASSWORD": PASSWORD,
           "AQL_USIM_URL": aqlsim.usim_url, "AQL_DESPATCH_URL": aqlsim.despatch_url, "AQL_TIMEOUT": "2",
           "AQL_POLL_INTERVAL": "1", "AQL_POLL_MAX_INTERVAL": "2", "AQL_MAX_CONCURRENCY": "2", "Q_WORKERS": "2",
           "MEDIA_ROOT": django_settings.MEDIA_ROOT, **settings}  # (the uploads the test's agent made)
    log = open(ROOT / "var" / "qcluster-test.log", "ab")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def kill(cluster: subprocess.Popen) -> None:
    os.killpg(cluster.pid, signal.SIGKILL)  # the cluster and its worker processes, no goodbyes
    cluster.wait(timeout=10)


def wait_until(condition, timeout: float, what: str) -> None:
    """Keep the passes coming (as the schedule would, faster) until `condition` holds."""
    deadline, next_pass = time.monotonic() + timeout, 0.0
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if time.monotonic() >= next_pass:
            async_task(tasks.POLL_PASS)
            next_pass = time.monotonic() + 1
        time.sleep(0.1)  # look often: the kill must come while some are still pending


def counts() -> dict[str, int]:
    return {s: GatewayRequest.objects.filter(state=s).count() for s in RequestState}


def test_a_real_cluster_settles_a_batch_of_activations_even_when_killed_mid_run(aql_settings, settings, staff):
    fake = aql_settings.fake
    fake.faults.settle_after = 1
    fake.faults.latency = 1.0  # a pass over the batch takes a few seconds: time to kill it mid-way
    settings.AQL_FIRST_POLL_DELAY = 1
    services.number_add(numbers=[str(44113000000 + n) for n in range(BATCH)])
    services.sim_add(iccids=[iccid(n) for n in range(BATCH)])
    make_schedules()
    for n, sim in enumerate(Sim.objects.order_by("iccid")):
        request = services.sim_activate(sim_id=sim.pk, actor=staff, **activation(number=str(44113000000 + n)))
        assert request.state == RequestState.PENDING

    cluster = start_cluster(aql_settings)
    try:
        wait_until(lambda: counts()[RequestState.SUCCESS] > 0, 60, "a first activation to settle")
        kill(cluster)
        assert counts()[RequestState.PENDING] > 0, "the cluster finished before it could be killed mid-run"
        cluster = start_cluster(aql_settings)
        wait_until(lambda: counts()[RequestState.SUCCESS] == BATCH, 90, "every activation to settle")
    finally:
        kill(cluster)

    assert set(Sim.objects.values_list("state", flat=True)) == {SimState.ACTIVE}
    assert fake.count("activate") == BATCH  # nothing resent
    assert SimEvent.objects.filter(action="succeeded").count() == BATCH  # nothing applied twice
    assert all(s.number is not None for s in Sim.objects.select_related("number"))
