"""A replacement followed by a real worker cluster that is killed with SIGKILL between two steps: started
again, it finishes the procedure, and aql's wire log shows each command sent once."""

from collections import Counter

import pytest

from sims import services
from sims.models import Replacement
from sims.models_replacements import ReplacementState
from tests.conftest import make_schedules
from tests.sims.test_replace import new_sim, old_sim  # noqa: F401 (old_sim: a fixture)
from tests.worker.test_cluster import kill, start_cluster, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
READS = ("queryiccid", "checkstatus")  # asking again is what a restart may do; acting again is not


def where(replacement: Replacement) -> tuple[str, str]:
    replacement.refresh_from_db()
    return replacement.state, replacement.step


def test_a_cluster_killed_between_steps_finishes_the_replacement_on_restart_sending_each_command_once(
        world, staff, old_sim):  # noqa: F811
    fake = world.fake
    fake.faults.settle_after = 1
    make_schedules()
    replacement = services.sim_replace(sim_id=old_sim().pk, new_sim_id=new_sim().pk, actor=staff)

    quick = {"AQL_FIRST_POLL_DELAY": "1"}  # the cluster sends each step: its first look comes a second later
    cluster = start_cluster(world, **quick)
    try:
        wait_until(lambda: where(replacement)[1] not in ("activate", ""), 60, "the activation to succeed")
        kill(cluster)
        assert where(replacement)[0] != ReplacementState.DONE, "the cluster finished before it could be killed"
        cluster = start_cluster(world, **quick)
        wait_until(lambda: where(replacement)[0] == ReplacementState.DONE, 90, "the replacement to finish")
    finally:
        kill(cluster)

    sent = Counter((call.command, call.params.get("iccid")) for call in fake.calls
                   if call.endpoint == "usim" and call.command not in READS)
    assert sent and set(sent.values()) == {1}, sent  # each command once, to each SIM
    assert Counter(command for command, _ in sent) == {"activate": 1, "addservice": 1, "changegeo": 2,
                                                       "deactivate": 1}
