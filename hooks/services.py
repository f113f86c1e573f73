"""Every write to webhook subscriptions and deliveries. Admin, the API and the worker call these.

An event (common.models.OutboxEvent, written by a service in the transaction of its change) is
fanned out to every subscription that wants its kind, as one Delivery each; the worker sends each
through aql/http.py's one way out (forced timeout, no redirects), signed, and tries again with
backoff for a day. A subscription that keeps failing is paused, with why, for an admin to resume.
"""

import functools
import ipaddress
import json
import logging
import socket
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from aql.http import GatewayError, GatewaySession, guarded_session, post_json
from common.actors import Actor, recorded
from common.audit import name_of
from common.errors import Refused
from common.models import AuditAction, AuditEvent, EventKind, OutboxEvent
from hooks import signing
from hooks.models import Attempt, Delivery, DeliveryState, Subscription
from ops import metrics
from ops.leases import claim_due

logger = logging.getLogger(__name__)

EVENT_KIND_HEADER = "X-Webhook-Event"  # beside the signing headers (hooks.signing)


# --- the address rule --------------------------------------------------------------------------

def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 zone ("fe80::1%eth0") names no other host
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside (::ffff:127.0.0.1, 6to4's 2002:a9fe:a9fe::, Teredo's) is where it goes.
        inside = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if any(v4 is not None and _refused_address(str(v4)) for v4 in inside):
            return True
        if ip.sixtofour or ip.teredo:
            return True  # tunnels: not where a receiver lives
        if ip.ipv4_mapped:
            return False
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast
            or ip.is_unspecified or not ip.is_global)


def address_refusal(url: str) -> str | None:
    """Why a webhook may not go to `url` now, in words (None: it may). Plain http only in development
    (DEBUG) or with WEBHOOKS_ALLOW_HTTP; every address the host resolves to must be a public one
    unless WEBHOOKS_ALLOW_PRIVATE: a webhook must not become a way into our network (or the cloud's
    metadata service). Asked when subscribing and again before each delivery, as DNS may change."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return "A webhook URL starts with https://."
    if parts.scheme == "http" and not (settings.DEBUG or settings.WEBHOOKS_ALLOW_HTTP):
        return "A webhook URL must use https:// (plain http is for development only)."
    if parts.username or parts.password:
        return "A webhook URL must not carry a user name or password: each event is signed instead."
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "That URL's port is not a number from 1 to 65535."
    if not host:
        return "That URL names no host."
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return f"The host {host} cannot be found (DNS)."
    if not settings.WEBHOOKS_ALLOW_PRIVATE and any(_refused_address(a) for a in addresses):
        return (f"The host {host} is on a private, loopback, link-local or reserved address: webhooks go "
                "to public addresses only.")
    return None


def clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise Refused("Give the URL to send events to.", "url")
    if len(url) > 500:
        raise Refused("A webhook URL is at most 500 characters.", "url")
    if why := address_refusal(url):
        raise Refused(why, "url")
    return url


def clean_events(events: Any) -> list[str]:
    if isinstance(events, str) or not events:
        raise Refused("Choose at least one event: " + ", ".join(EventKind.values) + ".", "events")
    unknown = [e for e in events if e not in EventKind.values]
    if unknown:
        raise Refused(f"No such event: {', '.join(map(str, unknown))}. The events are: "
                      + ", ".join(EventKind.values) + ".", "events")
    return [kind for kind in EventKind.values if kind in events]  # one order, no repeats


# --- subscriptions -----------------------------------------------------------------------------

def _audit(actor: Actor, subscription: Subscription, message: str) -> None:
    # The host only: the rest of an integrator's URL may hold a token of theirs. Never the secret.
    AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.CHANGED,
                              subject=f"webhook {subscription.pk}", message=message)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


def subscription_add(*, url: str, events: list[str], actor: Actor,
                     secret: str | None = None) -> tuple[Subscription, str]:
    """Subscribe `url` to `events`, signed with `secret` (made when not given; kept in its `whsec_`
    form, hooks.signing). Returns the subscription and that secret: show it once to whoever made it,
    and never again."""
    url, events, secret = clean_url(url), clean_events(events), signing.secret_clean(secret)
    with transaction.atomic():
        subscription = Subscription.objects.create(url=url, events=events, secret=secret,
                                                   created_by=recorded(actor), created_by_name=name_of(actor))
        _audit(actor, subscription, f"Webhook to {_host(url)} added for {', '.join(events)}.")
    return subscription, secret


def subscription_change(*, subscription_id: int, actor: Actor, url: str | None = None,
                        events: list[str] | None = None) -> Subscription:
    """Change where a subscription sends (checked as a new one is) or what it wants. The secret stays."""
    changes: dict[str, Any] = {}
    if url is not None:
        changes["url"] = clean_url(url)
    if events is not None:
        changes["events"] = clean_events(events)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        for field, value in changes.items():
            setattr(subscription, field, value)
        subscription.save()
        _audit(actor, subscription, f"Webhook to {_host(subscription.url)} changed: now for "
                                    f"{', '.join(subscription.events)}.")
    return subscription


def subscription_remove(*, subscription_id: int, actor: Actor) -> None:
    """Remove a subscription and its deliveries (those not yet made are never made)."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        _audit(actor, subscription, f"Webhook to {_host(subscription.url)} removed.")
        subscription.delete()


def subscription_pause(*, subscription_id: int, actor: Actor, reason: str = "") -> Subscription:
    """Pause a subscription by hand: its events wait until it is resumed."""
    who = name_of(actor)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        if not subscription.active:
            raise Refused(f"Webhook {subscription.pk} is paused already: {subscription.paused_reason}")
        _pause(subscription, reason or f"Paused by {who}.")
        _audit(actor, subscription, f"Webhook to {_host(subscription.url)} paused.")
    return subscription


def subscription_resume(*, subscription_id: int, actor: Actor) -> Subscription:
    """Resume a paused subscription: its failures are forgotten, and each delivery still waiting is
    tried now and has another day (WEBHOOKS_GIVE_UP_AFTER) before it is given up."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        if subscription.active:
            raise Refused(f"Webhook {subscription.pk} is not paused.")
        subscription.active, subscription.paused_reason, subscription.paused_at = True, "", None
        subscription.consecutive_failures = 0
        subscription.save()
        now = timezone.now()
        subscription.deliveries.filter(state=DeliveryState.PENDING).update(
            next_attempt_at=now, give_up_at=now + timedelta(seconds=settings.WEBHOOKS_GIVE_UP_AFTER))
        _audit(actor, subscription, f"Webhook to {_host(subscription.url)} resumed.")
    return subscription


def _pause(subscription: Subscription, reason: str) -> None:
    subscription.active, subscription.paused_reason, subscription.paused_at = False, reason, timezone.now()
    subscription.save(update_fields=["active", "paused_reason", "paused_at"])
    logger.warning("webhook %s paused: %s", subscription.pk, reason)


# --- fanning out -------------------------------------------------------------------------------

FAN_OUT_AT_MOST = 500  # events a step: one transaction, a moment of SQLite's write lock


def events_waiting() -> bool:
    """Are there new events to fan out (one probe of the fan_out_at index)?"""
    return OutboxEvent.objects.filter(fan_out_at__lte=timezone.now()).exists()


def events_fan_out(*, limit: int = FAN_OUT_AT_MOST, lease: float = 60) -> int:
    """Make a delivery of each new event for each subscription that wants its kind (paused ones too:
    their events wait for them). Events are claimed first, so two workers never fan one out twice
    at once, and the unique (subscription, event) pair keeps a second go harmless. Returns how many
    events were fanned out."""
    ids = claim_due(OutboxEvent.objects.filter(fan_out_at__isnull=False), field="fan_out_at", limit=limit,
                    lease=lease)
    if not ids:
        return 0
    subscriptions = list(Subscription.objects.values_list("pk", "events"))  # few: chosen here, not in SQL
    now = timezone.now()
    give_up = now + timedelta(seconds=settings.WEBHOOKS_GIVE_UP_AFTER)
    with transaction.atomic():
        kinds = dict(OutboxEvent.objects.filter(pk__in=ids).values_list("pk", "kind"))
        Delivery.objects.bulk_create(
            [Delivery(subscription_id=sub, event_id=event, kind=kind, next_attempt_at=now, give_up_at=give_up)
             for event, kind in kinds.items() for sub, wanted in subscriptions if kind in wanted],
            ignore_conflicts=True)
        OutboxEvent.objects.filter(pk__in=ids).update(fan_out_at=None)
    return len(ids)


# --- sending -----------------------------------------------------------------------------------

def deliveries_claim_due(*, limit: int, lease: float) -> list[int]:
    """Deliveries of active subscriptions whose next try has come, claimed for this worker."""
    due = Delivery.objects.filter(state=DeliveryState.PENDING, subscription__active=True)
    return claim_due(due, field="next_attempt_at", limit=limit, lease=lease)


def body_of(event: OutboxEvent) -> bytes:
    """What is POSTed: the event's id, kind, time and payload, as compact JSON (signed as sent)."""
    return json.dumps({"id": str(event.uuid), "kind": event.kind, "created_at": event.created_at.isoformat(),
                       "data": event.payload}, separators=(",", ":"), sort_keys=True).encode()


def _refused_peer(address: str) -> bool:
    return not settings.WEBHOOKS_ALLOW_PRIVATE and _refused_address(address)


@functools.cache
def _session(timeout: float) -> GatewaySession:
    # Its own session, without aql's gate: a slow receiver takes none of aql's calls at once. The
    # timeout is forced on every call, as for aql; the address is checked again on the connection
    # itself (DNS rebinding), and the whole exchange is cut after three timeouts (a trickling receiver).
    return guarded_session(timeout, _refused_peer, deadline=3 * timeout)


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: WEBHOOKS_RETRY_FIRST doubling, capped."""
    return min(settings.WEBHOOKS_RETRY_FIRST * 2 ** max(attempts - 1, 0), settings.WEBHOOKS_RETRY_CAP)


def delivery_send(*, delivery_id: int) -> Delivery:
    """The worker's step: POST the delivery's event, signed, to its subscription (unless delivered,
    given up or paused meanwhile: django-q2 and a second look may run a step twice), and record how
    it went. Nothing is held locked while the integrator answers."""
    delivery = Delivery.objects.select_related("subscription", "event").get(pk=delivery_id)
    subscription = delivery.subscription
    if delivery.state != DeliveryState.PENDING or not subscription.active:
        return delivery
    body, timestamp = body_of(delivery.event), int(time.time())
    headers = {EVENT_KIND_HEADER: delivery.kind,
               **signing.signed_headers(subscription.secret, str(delivery.event.uuid), timestamp, body)}
    status, latency, error = None, None, ""
    if why := address_refusal(subscription.url):  # again now: DNS may have changed since it was subscribed
        error = f"Not sent: {why}"
    else:
        try:
            status, latency = post_json(_session(settings.WEBHOOKS_TIMEOUT), subscription.url, body, headers)
        except GatewayError as exc:
            error = str(exc)
        else:
            if not 200 <= status < 300:
                error = f"answered HTTP {status}" + (" (a redirect: not followed)" if 300 <= status < 400 else "")
    return _record(delivery.pk, status=status, latency=latency, error=error)


def _record(delivery_id: int, *, status: int | None, latency: float | None, error: str) -> Delivery:
    """An attempt's outcome, applied under lock if the delivery is still waiting: delivered; or tried
    again after a backoff; or, its day over, given up and the subscription paused. WEBHOOKS_PAUSE_AFTER
    failed attempts in a row pause the subscription too."""
    now = timezone.now()
    ms = round(latency * 1000) if latency is not None else None
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.state != DeliveryState.PENDING:
            return delivery
        subscription = Subscription.objects.select_for_update().get(pk=delivery.subscription_id)
        Attempt.objects.create(delivery=delivery, at=now, status_code=status, latency_ms=ms, error=error)
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_latency_ms, delivery.last_error = status, ms, error
        subscription.last_delivery_at = now
        said = f"HTTP {status}" + (f" in {ms} ms" if ms is not None else "")
        subscription.last_result = (error or said)[:200]
        if not error:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = DeliveryState.DELIVERED, now, None
            subscription.consecutive_failures = 0
        else:
            subscription.consecutive_failures += 1
            if now >= delivery.give_up_at:
                delivery.state, delivery.next_attempt_at = DeliveryState.GIVEN_UP, None
                if subscription.active:
                    _pause(subscription, f"A {delivery.kind} event could not be delivered for "
                                         f"{_duration(settings.WEBHOOKS_GIVE_UP_AFTER)} and was given up "
                                         f"(last: {error}).")
            else:
                delivery.next_attempt_at = min(now + timedelta(seconds=backoff(delivery.attempts)),
                                               delivery.give_up_at)
                if subscription.active and subscription.consecutive_failures >= settings.WEBHOOKS_PAUSE_AFTER:
                    _pause(subscription, f"{subscription.consecutive_failures} attempts in a row failed "
                                         f"(last: {error}).")
        delivery.save()
        subscription.save(update_fields=["consecutive_failures", "last_delivery_at", "last_result"])
    metrics.WEBHOOK_ATTEMPTS.labels(delivery.kind, "failed" if error else "delivered").inc()
    if latency is not None:
        metrics.WEBHOOK_SECONDS.labels(delivery.kind).observe(latency)
    return delivery


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g} hours" if hours != 24 else "a day"


# --- pruning -----------------------------------------------------------------------------------

PRUNE_CHUNK = 200
PRUNE_FOR = 10  # seconds a step deletes for at most: the next goes on from where it is


def deliveries_prune(*, days: int, budget: float = PRUNE_FOR) -> int:
    """Delete deliveries made (or given up) more than `days` ago, with their attempts, a chunk a
    transaction; then the events that are past it and have no delivery left (those nobody
    subscribed to included). Waiting deliveries and their events stay. Returns how many deliveries went."""
    started, cutoff = time.monotonic(), timezone.now() - timedelta(days=days)
    done = Delivery.objects.filter(~Q(state=DeliveryState.PENDING), created_at__lt=cutoff)
    deleted = 0
    while time.monotonic() - started < budget and (ids := list(done.order_by("pk").values_list("pk", flat=True)
                                                               [:PRUNE_CHUNK])):
        with transaction.atomic():
            Attempt.objects.filter(delivery_id__in=ids).delete()
            deleted += Delivery.objects.filter(pk__in=ids).delete()[0]
    spent = OutboxEvent.objects.filter(created_at__lt=cutoff, fan_out_at__isnull=True).exclude(
        pk__in=Delivery.objects.values("event_id"))
    while time.monotonic() - started < budget and (ids := list(spent.order_by("pk").values_list("pk", flat=True)
                                                               [:PRUNE_CHUNK])):
        with transaction.atomic():
            OutboxEvent.objects.filter(pk__in=ids).delete()
    return deleted


