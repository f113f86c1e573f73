"""End to end: a real `qcluster` process adopts an estate from the simulator, is killed with SIGKILL in
the middle, and another goes on: no ICCID is asked twice, and what was asked and lost stays not known."""

import time
from collections import Counter

import pytest
from django_q.tasks import async_task

from aql.fake import Estate
from sims import services
from sims.models import Adoption, AdoptionRow, Sim
from tests.conftest import make_schedules
from tests.worker.test_cluster import kill, start_cluster

pytestmark = pytest.mark.django_db(transaction=True)
ICCIDS = 40
State = AdoptionRow.State


def answered(adoption: Adoption) -> int:
    return adoption.rows.filter(state=State.DONE).count()


def keep_asking(condition, timeout: float, what: str) -> None:
    """Passes of the adoption lane, as the follower's schedule would bring them (faster), until `condition`."""
    deadline, next_pass = time.monotonic() + timeout, 0.0
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if time.monotonic() >= next_pass:
            async_task("sims.tasks.adopt_pass")
            next_pass = time.monotonic() + 1
        time.sleep(0.1)


def test_a_real_cluster_killed_mid_adoption_asks_no_iccid_twice(aql_settings, staff):
    fake = aql_settings.fake
    fake.put_estate(Estate(count=ICCIDS, seed=5))
    fake.faults.latency = 0.25  # long enough to be killed with calls under way
    make_schedules()
    iccids = list(fake.account.estate.iccids())
    adoption = services.adoption_start(iccids=iccids, actor=staff, source="a test")

    cluster = start_cluster(aql_settings)
    try:
        keep_asking(lambda: answered(adoption) >= 5, 60, "a first few answers")
        kill(cluster)
        assert adoption.rows.filter(state=State.WAITING).exists(), "the cluster finished before it was killed"
        lost = set(adoption.rows.filter(state=State.ASKING).values_list("iccid", flat=True))  # its, for good
        cluster = start_cluster(aql_settings)
        keep_asking(lambda: answered(adoption) + len(lost) == ICCIDS, 90, "every other ICCID answered")
    finally:
        kill(cluster)

    asked = Counter(call.params["iccid"] for call in fake.calls if call.command == "queryiccid")
    assert max(asked.values()) == 1  # no ICCID twice, across the kill
    assert {call.command for call in fake.calls if call.endpoint == "usim"} == {"queryiccid"}
    done = set(adoption.rows.filter(state=State.DONE).values_list("iccid", flat=True))
    assert done <= set(asked)
    for sim in Sim.objects.filter(iccid__in=done).select_related("number"):
        theirs = fake.sim(sim.iccid)
        assert (sim.state, sim.number.number if sim.number else None) == (theirs.state, theirs.geo_nos)
    # What the killed worker had taken stays asked, not known: never asked again by itself.
    assert set(adoption.rows.filter(state=State.ASKING).values_list("iccid", flat=True)) == lost
