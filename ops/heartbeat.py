"""Heartbeats: when each kind of worker pass last finished and when aql last answered, the evidence
the dashboard and /readyz read instead of asking the worker or aql."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from common.models import Heartbeat


def heartbeat(*, name: str) -> None:
    """Record that a worker pass of this kind just finished: one UPDATE (every pass pays it), the
    row made the first time."""
    now = timezone.now()
    if not Heartbeat.objects.filter(name=name).update(at=now):
        Heartbeat.objects.update_or_create(name=name, defaults={"at": now})


GATEWAY = "gateway"  # the heartbeat of aql's answers: /readyz's evidence that aql is reachable


def answered_at(at: datetime | None) -> None:
    """Record that aql answered the worker at `at` (after each follower's pass): never moved back,
    as another cluster's follower may have written a later answer."""
    if at is None:
        return
    if not Heartbeat.objects.filter(name=GATEWAY, at__lt=at).update(at=at):
        Heartbeat.objects.get_or_create(name=GATEWAY, defaults={"at": at})


def last_pass(*, name: str) -> datetime | None:
    """When a worker pass of this kind last finished, if ever."""
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


# The follower beats at least once a minute; three minutes without one means no worker is running.
SILENT_AFTER = timedelta(minutes=3)
# django-q2's scheduler first runs about 30 s after a cluster starts: until the first pass, "starting".
STARTING_FOR = timedelta(minutes=2)


@dataclass(frozen=True)
class WorkerStatus:
    state: str  # "running", "starting" or "stopped"
    last_pass: datetime | None
    started: datetime | None


def worker_started(**_: object) -> None:
    """django-q2's post_spawn signal: a worker process of a cluster has just started."""
    heartbeat(name="start")


def worker_status() -> WorkerStatus:
    """Is the worker running (a polling pass lately), starting (a cluster started, no pass since)
    or stopped? The dashboard tells the three apart, so a fresh start is not an alarm."""
    beats = dict(Heartbeat.objects.filter(name__in=("poll", "start")).values_list("name", "at"))
    last, started, now = beats.get("poll"), beats.get("start"), timezone.now()
    if last and now - last <= SILENT_AFTER:
        state = "running"
    elif started and (last is None or started > last) and now - started <= STARTING_FOR:
        state = "starting"
    else:
        state = "stopped"
    return WorkerStatus(state, last, started)
