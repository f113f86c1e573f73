"""django-q2 entry points for the SIM side: thin, id-based, safe to run twice or at once.

The scheduled passes find their work in the journal (not in the queue), so a task lost with
a dead worker, or delivered twice, changes nothing: the next pass picks up what is due.
"""

import math

from django.conf import settings

from common import audit
from common.worker import follow, heartbeat, in_batches, retention_pass
from sims import services

FOLLOW = "sims.tasks.follow_requests"
POLL_PASS = "sims.tasks.poll_pass"
DRIFT_PASS = "sims.tasks.drift_pass"
ERASE_PASS = "sims.tasks.erase_expired_pass"
SCHEDULES = {FOLLOW: 1, DRIFT_PASS: 10, ERASE_PASS: 24 * 60}  # task -> every so many minutes
FOLLOW_SPAN = 55  # seconds: a follower runs until just before the next is scheduled, a minute after it
LOOK_EVERY = 1  # seconds between looks for due requests: a request is polled within this of its time


def follow_requests(span: float = FOLLOW_SPAN) -> int:
    """The scheduled pass: for `span` seconds, poll each request within a second of its due time
    (django-q2's scheduler runs a schedule at most every 30 s; the page promises a time to the
    second). One follower at a time. Returns how many polls succeeded."""
    return follow("follow-requests", span=span, every=LOOK_EVERY, due=services.requests_due, step=poll_pass)


def poll_pass() -> int:
    """Poll every request that is due (checkstatus; queryiccid for unknown outcomes). Returns how many."""
    with audit.via(audit.Interface.WORKER):
        return _poll_pass()


def _poll_pass() -> int:
    lease = settings.AQL_TIMEOUT * 2 + 10  # longer than one poll can take: a dead worker's claim runs out soon
    # A send left without an answer for much longer than any send takes (connect and read
    # timeouts, a wait for the database lock) was cut off: its outcome is unknown.
    services.request_mark_lost(older_than=settings.AQL_TIMEOUT * 4 + 60)
    done = in_batches(lambda size: services.request_claim_due(limit=size, lease=lease),
                      lambda pk: services.request_poll(request_id=pk))
    heartbeat(name="poll")
    return done


def drift_pass() -> int:
    """Compare this pass's share of AQL_DRIFT_PER_HOUR SIMs with aql (queryiccid), those due a re-check
    first; differences are recorded, and ours follows aql."""
    seen: set[int] = set()

    def take(size: int) -> list[int]:  # the oldest-checked not yet taken in this pass
        ids = [pk for pk in services.sims_due_for_drift_check(limit=size + len(seen)) if pk not in seen][:size]
        seen.update(ids)
        return ids

    share = math.ceil(settings.AQL_DRIFT_PER_HOUR * SCHEDULES[DRIFT_PASS] / 60)
    done = in_batches(take, lambda pk: services.sim_query(sim_id=pk, actor=None), most=share)
    heartbeat(name="drift")
    return done


def erase_expired_pass() -> int:
    """Erase the subscriber details of SIMs terminated longer ago than PERSONAL_DATA_RETENTION_DAYS."""
    return retention_pass(name="erase", erase=lambda days: services.subscribers_erase_expired(days=days))
