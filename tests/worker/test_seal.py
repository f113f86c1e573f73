"""End to end: a real `qcluster` process seals the audit trail by its schedule, and verifies it."""

import time

import pytest
from django.utils import timezone
from django_q.models import Schedule

from common.models import AuditAction, AuditEvent
from ops.models import Seal, SealCheck
from tests.conftest import make_schedules
from tests.worker.test_cluster import kill, start_cluster

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_seals_the_trail_by_its_schedule_and_verifies_it(aql_settings, staff):
    for n in range(3):
        AuditEvent.objects.create(actor=staff, action=AuditAction.SIGNED_IN, message=f"Signed in ({n}).")
    make_schedules()
    Schedule.objects.filter(func__startswith="ops.seal.").update(next_run=timezone.now())  # due now, not in 5 minutes
    cluster = start_cluster(aql_settings, AUDIT_SEAL_MARGIN="0")
    try:
        deadline = time.monotonic() + 90
        while not (Seal.objects.filter(table="common.AuditEvent").exists() and SealCheck.objects.exists()):
            assert time.monotonic() < deadline, "the worker sealed and verified nothing in 90 s"
            time.sleep(0.5)
    finally:
        kill(cluster)
    first = Seal.objects.filter(table="common.AuditEvent").order_by("after_id").first()
    assert first.after_id == 0 and first.count >= 3  # the three sign-ins, and whatever the worker wrote meanwhile
    assert SealCheck.objects.order_by("-at").first().matched
