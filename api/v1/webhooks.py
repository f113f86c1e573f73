"""Webhook subscriptions (`/webhooks`): an integrator's URL told of the events it wants, each
delivery signed as the Standard Webhooks specification says, with the secret shown once."""

from collections.abc import Callable
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from api.answers import Paged, answer
from api.auth import may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS
from common.errors import Refused
from common.events import EventKind
from common.paging import seek
from hooks import services as hook_services
from hooks.models import Subscription


class SubscriptionOut(Schema):
    id: int
    url: str
    target: str  # where the events are POSTed
    events: list[EventKind]
    active: bool
    paused_reason: str  # why it is paused (by whom, or after failing for how long)
    paused_at: datetime | None
    consecutive_failures: int
    last_delivery_at: datetime | None
    last_result: str
    created_at: datetime


class SubscriptionMade(SubscriptionOut):
    secret: str | None  # signs every delivery: shown this once (null in an Idempotency-Key's replay)


class SubscriptionPage(Paged):
    items: list[SubscriptionOut]


class SubscriptionIn(Schema):
    target: str  # https, at a public address
    events: list[str]
    secret: str | None = None  # made for you when not given


class SubscriptionChange(Schema):
    target: str | None = None
    events: list[str] | None = None
    active: bool | None = None  # false pauses it; true resumes it (what waits is tried at once)


def _target(run: Callable[[], HttpResponse]) -> Callable[[], HttpResponse]:
    """The webhook services call the receiver's URL `url`; this API calls it `target` (its `url` is
    the resource's own): a refusal about it names the field as sent."""
    def wrapped() -> HttpResponse:
        try:
            return run()
        except Refused as exc:
            raise Refused(exc.message, "target" if exc.field == "url" else exc.field, code=exc.code) from None
    return wrapped


def _subscription(sub: Subscription) -> dict:
    return {"id": sub.pk, "url": f"/api/v1/webhooks/{sub.pk}", "target": sub.url, "events": sub.events,
            "active": sub.active, "paused_reason": sub.paused_reason, "paused_at": sub.paused_at,
            "consecutive_failures": sub.consecutive_failures, "last_delivery_at": sub.last_delivery_at,
            "last_result": sub.last_result, "created_at": sub.created_at}


webhooks = Router(tags=["webhooks"])


@webhooks.get("/webhooks", response={200: SubscriptionPage, **PROBLEMS})
def subscription_list(request: HttpRequest, cursor: str = ""):
    """Webhook subscriptions, newest first: paused ones say why."""
    may(request, "hooks.view_subscription")
    page = seek(Subscription.objects.all(), ("-created_at", "-pk"), cursor[:500])
    return {"items": [_subscription(sub) for sub in page.rows], "next": page.next or None}


@webhooks.post("/webhooks", response={201: SubscriptionMade, **WRITE_PROBLEMS})
def subscription_add(request: HttpRequest, body: SubscriptionIn):
    """Subscribe a URL to events; the answer holds the secret that signs them, this once."""
    may(request, "hooks.add_subscription")

    def run() -> HttpResponse:
        sub, secret = hook_services.subscription_add(url=body.target, events=body.events, secret=body.secret,
                                                     actor=request.auth.owner)
        return answer({**_subscription(sub), "secret": secret}, 201, location=f"/api/v1/webhooks/{sub.pk}")

    return write(request, _target(run))


@webhooks.get("/webhooks/{subscription_id}", response={200: SubscriptionOut, **PROBLEMS})
def subscription_detail(request: HttpRequest, subscription_id: int):
    """One subscription: its state, its last delivery."""
    may(request, "hooks.view_subscription")
    return _subscription(Subscription.objects.get(pk=subscription_id))


@webhooks.patch("/webhooks/{subscription_id}", response={200: SubscriptionOut, **WRITE_PROBLEMS})
def subscription_change(request: HttpRequest, subscription_id: int, body: SubscriptionChange):
    """Change where it sends or what it wants; pause or resume it."""
    may(request, "hooks.change_subscription")

    def run() -> HttpResponse:
        sub = Subscription.objects.get(pk=subscription_id)
        owner = request.auth.owner
        if body.target is not None or body.events is not None:
            sub = hook_services.subscription_change(subscription_id=sub.pk, url=body.target, events=body.events,
                                                    actor=owner)
        if body.active is False and sub.active:
            sub = hook_services.subscription_pause(subscription_id=sub.pk, actor=owner)
        elif body.active and not sub.active:
            sub = hook_services.subscription_resume(subscription_id=sub.pk, actor=owner)
        return answer(_subscription(sub))

    return write(request, _target(run))


@webhooks.delete("/webhooks/{subscription_id}", response={204: None, **WRITE_PROBLEMS})
def subscription_remove(request: HttpRequest, subscription_id: int):
    """Remove a subscription: deliveries not yet made are never made."""
    may(request, "hooks.delete_subscription")

    def run() -> HttpResponse:
        hook_services.subscription_remove(subscription_id=Subscription.objects.get(pk=subscription_id).pk,
                                          actor=request.auth.owner)
        return HttpResponse(status=204)

    return write(request, run)
