"""End to end at size: a file of thousands of activations becomes a batch that a real `qcluster` sends to
the simulator a few at a time, through failures aql decides, refusals, lost answers and the worker
killed with SIGKILL in the middle; every row ends accounted for, and none is sent twice."""

import os
import time
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ops import gateway
from sims import selectors, services
from sims.lifecycle import Command, RequestState, SimState
from sims.models import GatewayRequest, GeographicNumber, Sim, Subscriber
from sims.services import imports
from tests.conftest import IMEI, iccid, make_schedules
from tests.worker.test_cluster import kill, start_cluster, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
# 10,000 rows take about ten minutes a database on a 2-core machine (20,000 calls, each a few
# transactions): CI runs 1,000; `BULK_ROWS=10000 make test TESTS=tests/sims/test_bulk_activation.py`
# runs the full size (its figures are in docs/BENCHMARKS.md).
ROWS = int(os.environ.get("BULK_ROWS", "1000"))
REFUSED, LOST = 40, 30  # answers forced: aql refuses at once (63014), or the reply is a 500 page (not executed)


def name(n: int) -> str:
    """Letters only (a name has no digits), different for each n."""
    return "".join("abcdefghijklmnopqrstuvwxyz"[int(d)] for d in str(n)).capitalize()


def by_state(batch) -> Counter:
    return Counter(batch.requests.values_list("state", flat=True))


@pytest.mark.timeout(600 + ROWS // 5)
def test_thousands_of_activations_from_a_file_settle_with_every_row_accounted_for(aql_settings, settings, staff):
    started, fake = time.monotonic(), aql_settings.fake
    numbers = [str(441130000000 + n) for n in range(ROWS)]
    fake.account.iccid_count, fake.account.geo_numbers = ROWS, numbers
    fake.faults.settle_after, fake.faults.fail_rate = 1, 0.02  # the network refuses some after queueing
    fake.force("activate", [63014], times=REFUSED)
    fake.force("activate", [500], times=LOST)
    settings.AQL_FIRST_POLL_DELAY = 1
    gateway.reset()
    services.number_add(numbers=numbers)
    services.sim_add(iccids=[iccid(n) for n in range(ROWS)])
    make_schedules()
    rows = "".join(f"{iccid(n)},{IMEI},,Customer {name(n)},1 Road,LS1 1AA,0113 320 3040\n" for n in range(ROWS))
    data = ("iccid,imei,number,name,address,postcode,contact\n" + rows).encode()
    upload = imports.upload_preview(file=SimpleUploadedFile("big.csv", data), kind=imports.ACTIVATE, actor=staff)
    assert upload.preview["counts"] == {"ready": ROWS}
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    print(f"previewed {time.monotonic() - started:.0f} s")

    fast = {"AQL_FIRST_POLL_DELAY": "1", "AQL_MAX_CONCURRENCY": "4"}  # the cluster sends, so it checks when
    cluster = start_cluster(aql_settings, **fast)  # it queues the file's rows, then sends them
    try:
        wait_until(lambda: by_state(batch)[RequestState.SUCCESS] > ROWS // 20, 120, "the first activations to succeed")
        kill(cluster)
        print(f"killed {time.monotonic() - started:.0f} s: {by_state(batch)}")
        assert by_state(batch)[RequestState.TO_SEND] > 0, "the cluster finished before it could be killed mid-run"
        cluster = start_cluster(aql_settings, **fast)
        wait_until(lambda: not by_state(batch).keys() & {RequestState.TO_SEND, RequestState.SENDING,
                                                         RequestState.PENDING}, 240 + ROWS // 10, "every row to settle")
    finally:
        kill(cluster)
    print(f"settled {time.monotonic() - started:.0f} s: {by_state(batch)}")
    batch.refresh_from_db()
    assert (batch.size, batch.params["left_out"], batch.params["queueing"]) == (ROWS, 0, False)

    states = by_state(batch)
    sent = Counter(c.params.get("iccid") for c in fake.calls if c.command == "activate")
    assert max(sent.values()) == 1, "a row was sent twice"
    assert states.total() == ROWS and states.keys() <= {RequestState.SUCCESS, RequestState.FAILED,
                                                         RequestState.REJECTED, RequestState.UNKNOWN}
    # A forced answer the kill cut off (aql refused, or sent its 500 page, and we never read it) is
    # unknown, as is a send the kill cut off before aql saw it: never resent, the SIM as aql left it.
    assert states[RequestState.REJECTED] <= REFUSED and states[RequestState.FAILED] > 0
    assert states[RequestState.REJECTED] + states[RequestState.UNKNOWN] >= REFUSED + LOST
    never_seen = batch.requests.exclude(sim__iccid__in=list(sent))
    assert set(never_seen.values_list("state", flat=True)) <= {RequestState.UNKNOWN}
    sims = Counter(Sim.objects.filter(requests__batch=batch).values_list("state", flat=True))
    assert sims == {SimState.ACTIVE: states[RequestState.SUCCESS], SimState.PENDING: states[RequestState.UNKNOWN],
                    SimState.UNUSED: states[RequestState.FAILED] + states[RequestState.REJECTED]}
    assert GeographicNumber.objects.filter(held_by__isnull=False).count() == states[RequestState.UNKNOWN]
    assert Subscriber.objects.count() == states[RequestState.SUCCESS] + states[RequestState.UNKNOWN]
    assert selectors.batch_progress(batch)["succeeded"] == states[RequestState.SUCCESS]
    assert not GatewayRequest.objects.exclude(batch=batch).filter(command=Command.ACTIVATE).exists()
