"""Webhook subscriptions and their deliveries. The events themselves are the outbox in `common`
(OutboxEvent), written by the services in the transaction of each change."""

from django.conf import settings
from django.db import models

from common.models import EventKind, OutboxEvent


class Subscription(models.Model):
    """An integrator's URL, told of the events it wants, each signed with its secret."""

    url = models.URLField("URL", max_length=500)
    # Kept as it is, in its `whsec_` form (we sign with it, so we must read it), never shown again
    # after it is made, never logged: editable=False keeps it out of every form. Long enough for the
    # whsec_ form of any secret taken before (100 printable characters: up to 400 bytes).
    secret = models.CharField(max_length=600, editable=False)
    events = models.JSONField(default=list, help_text="The event kinds it wants")
    active = models.BooleanField(default=True, db_index=True, editable=False)
    paused_reason = models.TextField("why paused", blank=True, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False,
                                                       help_text="Failed attempts in a row, of any delivery")
    last_delivery_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_result = models.CharField(max_length=200, blank=True, editable=False, help_text="How the last attempt went")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_by_name = models.CharField("created by", max_length=150, default="system", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:  # never the secret
        return f"Webhook {self.pk}: {self.url}"

    def __repr__(self) -> str:
        return f"<Subscription {self.pk} {self.url!r} active={self.active}>"

    @property
    def event_labels(self) -> str:
        return ", ".join(EventKind(kind).label for kind in self.events if kind in EventKind.values)


class DeliveryState(models.TextChoices):
    """Where a delivery stands."""

    @property
    def colour(self) -> str:
        return DELIVERY_COLOURS[self]

    PENDING = "pending", "Waiting"  # not yet answered with a 2xx: tried again with backoff
    DELIVERED = "delivered", "Delivered"
    GIVEN_UP = "given_up", "Given up"  # retried for a day (WEBHOOKS_GIVE_UP_AFTER) without a 2xx


DELIVERY_COLOURS = {DeliveryState.PENDING: "blue", DeliveryState.DELIVERED: "green", DeliveryState.GIVEN_UP: "red"}


class Delivery(models.Model):
    """One event for one subscription: tried until answered with a 2xx, or given up."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40, choices=EventKind.choices)  # the event's, for the admin's filter
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When the worker next tries it; claimed by moving it ahead (ops.leases.claim_due).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField(help_text="Not delivered by then: given up, and the subscription paused")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("last HTTP status", null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField("last latency (ms)", null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="What went wrong last, in words")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="one_delivery_per_event")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
                   models.Index(fields=["state", "-created_at"], name="delivery_state_recent")]

    def __str__(self) -> str:
        return f"{self.kind} to webhook {self.subscription_id} ({self.get_state_display().lower()})"

    @property
    def colour(self) -> str:
        return DELIVERY_COLOURS[DeliveryState(self.state)]


class Attempt(models.Model):
    """One try of a delivery: the status code, how long it took, what went wrong in words."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
