"""The worker builds notices from what is already recorded: the outbox (batches finished, stock low,
drift found) and the journal's standing conditions (requests needing attention, outcomes unknown too
long, replacements stopped or waiting, webhook subscriptions paused). Never by the pages.

Exactly once, whatever runs it: the outbox is read from a high-water mark (Cursor) and, to catch an
event whose transaction committed after a later one's, again over the last few minutes; every notice
names what it is about (`key`), unique per person, so a second worker or a restart makes nothing new.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from common.models import EventKind, OutboxEvent
from common.roles import SYSTEM_USERNAME
from hooks.models import Subscription
from notices.defaults import default_channel, topics_for
from notices.models import Channel, Cursor, Notice, Preference, Topic
from notices.services.prefs import BY_EMAIL, email_due, user_role
from reports.days import today
from reports.selectors_ops import stock_left
from sims.lifecycle import FAILURES, RequestState
from sims.models import GatewayRequest
from sims.models_replacements import WORDS, Replacement, ReplacementState

OUTBOX = "outbox"
# An event committed late (a long transaction) can carry an id below the mark: the last minutes are read again.
OVERLAP = timedelta(minutes=10)
FIRST_LOOK = timedelta(hours=1)
AT_MOST = 2000  # outbox events read a pass; the next pass goes on from the mark
STANDING_AT_MOST = 500  # rows of each standing condition looked at a pass, newest first
KINDS = {EventKind.BATCH_FINISHED: Topic.BATCH, EventKind.STOCK_LOW: Topic.STOCK, EventKind.DRIFT_FOUND: Topic.DRIFT}


@dataclass(frozen=True)
class Candidate:
    """Something to tell whoever hears about its topic."""

    topic: Topic
    key: str
    title: str
    link: str


def notices_build(*, now: datetime | None = None) -> int:
    """Make the notices of everything recorded since the last pass, for each person whose preferences
    want its topic, with the time each is due by email. Returns how many notices it wrote (a pass running
    at the same moment may have written the same ones: the database keeps one of each, and both count it)."""
    now = now or timezone.now()
    mark = _cursor(now)
    events, last_id = _outbox_events(mark, now)
    found = [c for c in (_from_event(e) for e in events) if c is not None]
    found += [*_attention(), *_unknown(now), *_replacements(now), *_webhooks(), *_stock_days()]
    fresh = _not_told(found)
    audience = _audience()
    made = [Notice(user_id=user_id, topic=c.topic, key=c.key, title=c.title[:300], link=c.link, created_at=now,
                   email_due_at=email_due(channel, now) if channel in BY_EMAIL and has_email else None)
            for c in fresh for user_id, channel, has_email in audience[c.topic]]
    with transaction.atomic():
        created = Notice.objects.bulk_create(made, batch_size=500, ignore_conflicts=True)
        if last_id > mark.last_id:  # only forward: a slower worker never moves it back
            Cursor.objects.filter(pk=mark.pk, last_id__lt=last_id).update(last_id=last_id, updated_at=now)
    return len(created)


def _cursor(now: datetime) -> Cursor:
    # Made at the first pass, an hour back: notices start from then, not from the outbox's whole history
    # (an upgrade does not tell a month of old events).
    mark = Cursor.objects.filter(name=OUTBOX).first()
    if mark is None:
        start = OutboxEvent.objects.filter(created_at__lt=now - FIRST_LOOK).aggregate(m=Max("pk"))["m"] or 0
        mark, _ = Cursor.objects.get_or_create(name=OUTBOX, defaults={"last_id": start})
    return mark


def _outbox_events(mark: Cursor, now: datetime) -> tuple[list[OutboxEvent], int]:
    events = list(OutboxEvent.objects.filter(kind__in=list(KINDS))
                  .filter(Q(pk__gt=mark.last_id) | Q(created_at__gte=now - OVERLAP)).order_by("pk")[:AT_MOST])
    return events, max((e.pk for e in events), default=mark.last_id)


def _from_event(event: OutboxEvent) -> Candidate | None:
    data, key = event.payload, f"event:{event.uuid}"
    if event.kind == EventKind.BATCH_FINISHED:
        counts = data.get("counts", {})
        failed = sum(n for state, n in counts.items() if state in FAILURES)
        if not failed and data.get("size", 0) < settings.NOTIFY_LARGE_BATCH:
            return None  # a small batch that all went through: nothing to be told
        went = f"{failed:,} did not go through" if failed else "all went through"
        return Candidate(Topic.BATCH, key, f"Batch {data['batch_id']} ({data.get('command')}, "
                         f"{data.get('size', 0):,} SIMs) finished: {went}",
                         reverse("sims:batch_detail", kwargs={"batch": data["batch_id"]}))
    if event.kind == EventKind.STOCK_LOW:
        return Candidate(Topic.STOCK, key, f"Stock of {data['product_code']} is low: {data['quantity']:,} left, "
                         f"under its threshold of {data['threshold']:,}", reverse("orders:stock"))
    fields = ", ".join(data.get("fields", [])) or "its record"
    return Candidate(Topic.DRIFT, key,
                     f"SIM {data['iccid']} differed from aql's record ({fields}): ours now follows aql",
                     reverse("sims:sim_detail", kwargs={"iccid": data["iccid"]}))


def _request_link(request: GatewayRequest) -> str:
    return reverse("sims:sim_detail", kwargs={"iccid": request.sim.iccid})


def _attention() -> Iterator[Candidate]:
    rows = (GatewayRequest.objects.filter(needs_attention=True, phase="in_flight").select_related("sim")
            .order_by("-created_at", "-id")[:STANDING_AT_MOST])
    for r in rows:
        yield Candidate(Topic.ATTENTION, f"request:{r.pk}:attention",
                        f"Request {r.pk} ({r.command} of SIM {r.sim.iccid}) needs a person to look", _request_link(r))


def _unknown(now: datetime) -> Iterator[Candidate]:
    hours = settings.NOTIFY_UNKNOWN_AFTER_HOURS
    rows = (GatewayRequest.objects.filter(state=RequestState.UNKNOWN, created_at__lte=now - timedelta(hours=hours))
            .select_related("sim").order_by("-created_at", "-id")[:STANDING_AT_MOST])
    for r in rows:
        yield Candidate(Topic.UNKNOWN, f"request:{r.pk}:unknown",
                        f"Request {r.pk} ({r.command} of SIM {r.sim.iccid}): outcome still unknown after "
                        f"{hours:g} hours", _request_link(r))


def _replacements(now: datetime) -> Iterator[Candidate]:
    waited = now - timedelta(hours=settings.NOTIFY_REPLACEMENT_WAITING_HOURS)
    rows = (Replacement.objects.filter(Q(state=ReplacementState.STOPPED)
                                       | Q(state=ReplacementState.WAITING, updated_at__lte=waited))
            .select_related("old_sim").order_by("-created_at", "-id")[:STANDING_AT_MOST])
    for r in rows:
        how = "stopped" if r.state == ReplacementState.STOPPED else "has waited for aql's answer too long"
        # Each stop (or wait) at each step is told once: resumed and stopped again is news.
        yield Candidate(Topic.REPLACEMENT, f"replacement:{r.pk}:{r.state}:{r.step}",
                        f"Replacement of SIM {r.old_sim.iccid} {how} at: {WORDS.get(r.step, r.step)}",
                        reverse("sims:sim_detail", kwargs={"iccid": r.old_sim.iccid}))


def _webhooks() -> Iterator[Candidate]:
    rows = Subscription.objects.filter(active=False, paused_at__isnull=False).order_by("-paused_at")[:STANDING_AT_MOST]
    for s in rows:
        yield Candidate(Topic.WEBHOOK, f"webhook:{s.pk}:{s.paused_at.isoformat()}",
                        f"Webhook subscription {s.pk} was paused: deliveries wait until it is resumed",
                        reverse("admin:hooks_subscription_change", args=[s.pk]))


def _stock_days() -> Iterator[Candidate]:
    """Products whose stock lasts under NOTIFY_STOCK_DAYS at the last 30 days' rate (the reports' roll-ups):
    told once a week while it lasts (the key names the week), so a reorder is not forgotten, nor flooded."""
    if not settings.NOTIFY_STOCK_DAYS:
        return
    week = f"{today() - timedelta(days=today().weekday())}"
    for code, level, _, _, left, reorder in stock_left().rows:
        if left is not None and left < settings.NOTIFY_STOCK_DAYS:
            when = "reorder now" if reorder == "now" else f"reorder by {reorder}"
            yield Candidate(Topic.STOCK, f"stock-days:{code}:{week}",
                            f"Stock of {code} lasts about {left} days at the last 30 days' rate ({level:,} left): "
                            f"{when}", reverse("orders:stock"))


def _not_told(found: list[Candidate]) -> list[Candidate]:
    """The candidates nobody was told of yet: a standing condition is news once (its key), not every pass."""
    told: set[str] = set()
    keys = list({c.key for c in found})
    for chunk in _chunks(keys, 500):
        told.update(Notice.objects.filter(key__in=chunk).values_list("key", flat=True))
    return [c for c in {c.key: c for c in found}.values() if c.key not in told]


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    return (items[i:i + size] for i in range(0, len(items), size))


def _audience() -> dict[Topic, list[tuple[int, Channel, bool]]]:
    """Who hears about each topic, how, and whether they have an email address: every active person
    in a role (never the system account), by their preferences or their role's defaults. Three queries."""
    users = (get_user_model().objects.filter(is_active=True).exclude(username=SYSTEM_USERNAME)
             .prefetch_related("groups"))
    chosen: dict[int, dict[str, str]] = defaultdict(dict)
    for user_id, topic, channel in Preference.objects.values_list("user_id", "topic", "channel"):
        chosen[user_id][topic] = channel
    audience: dict[Topic, list[tuple[int, Channel, bool]]] = defaultdict(list)
    for user in users:
        role = user_role(user)
        for topic in topics_for(role):  # a topic the role may not hear about is never told, whatever was chosen
            channel = Channel(chosen[user.pk].get(topic, default_channel(role, topic)))
            if channel != Channel.OFF:
                audience[topic].append((user.pk, channel, bool(user.email)))
    return audience


def notices_prune(*, now: datetime | None = None, at_most: int = 5000) -> int:
    """Delete notices older than NOTIFY_KEPT_DAYS (0: kept for ever), a few thousand a pass, oldest first.
    A condition that still stands after that long (a subscription paused for months) is told again, once."""
    if not settings.NOTIFY_KEPT_DAYS:
        return 0
    before = (now or timezone.now()) - timedelta(days=settings.NOTIFY_KEPT_DAYS)
    old = list(Notice.objects.filter(created_at__lt=before).order_by("created_at")
               .values_list("pk", flat=True)[:at_most])
    return Notice.objects.filter(pk__in=old).delete()[0] if old else 0
