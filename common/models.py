"""What every app shares: the audit trail's common fields and its record of what is not a SIM's
(sign-ins, refusals, numbers added, raw gateway sends), when each worker pass last finished, and
the leases that keep a pass to one worker at a time."""

import uuid

from django.conf import settings
from django.db import models

from common.audit import Interface, current_interface, name_of


class Heartbeat(models.Model):
    """When a worker last finished a pass of a kind: the dashboard warns when it is too long ago."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    class Meta:
        db_table = "sims_heartbeat"  # made by the sims app before the model moved here; the table stayed

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class Lease(models.Model):
    """A pass that must run once at a time, across processes and machines, holds its lease until
    `until`; a holder that dies without letting go only delays the next one until then."""

    name = models.CharField(max_length=40, unique=True)
    holder = models.CharField(max_length=32)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held until {self.until:%Y-%m-%d %H:%M:%S}"


class Event(models.Model):
    """What every audit record holds: when, who (kept by name too), through which interface, what."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField("by", max_length=150, default="system")
    interface = models.CharField(max_length=10, choices=Interface.choices, default=Interface.SYSTEM)
    message = models.TextField()

    # The audit trail's seal (ops.seal) leaves these out of what it seals whole, committing only to a keyed hash
    # of them that holds until they are erased (set to the value here): the actor's link goes (SET_NULL) when a
    # user row goes, while `actor_name` (sealed) keeps who it was.
    SEAL_LETS_GO: dict[str, object] = {"actor_id": None}
    # A row sealed with these values may be deleted later by the system's own pruning (see SimEvent): its
    # absence is counted as pruned, not reported. None here: every deletion is reported.
    SEAL_MAY_GO: dict[str, object] = {}

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.actor_name = name_of(self.actor) if self.actor_id else self.actor_name
            self.interface = current_interface() if self.interface == Interface.SYSTEM else self.interface
        super().save(*args, **kwargs)


class AuditAction(models.TextChoices):
    """What the audit trail records of what is not one SIM's (those words are `sims.lifecycle.SimAction`):
    the services write these, the pages and admin filter by them."""

    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    FORBIDDEN = "forbidden", "Refused: no permission"
    CHANGED = "changed", "Details changed"
    NUMBERS_ADDED = "numbers_added", "Numbers added"
    SIMS_ADDED = "sims_added", "SIMs added"
    GATEWAY_SENT = "gateway_sent", "Sent to aql by hand"
    API_KEY = "api_key", "API key made or revoked"
    NUMBER_REST_ENDED = "number_rest_ended", "A number's rest ended early"
    ROLES_CHANGED = "roles_changed", "Roles changed"  # single sign-on sets them from the provider's groups
    DEACTIVATED = "deactivated", "Account deactivated"  # the provider said so at a refused sign-in
    FACTOR_ADDED = "factor_added", "Second factor added"
    FACTOR_REMOVED = "factor_removed", "Second factor removed"
    FACTORS_RESET = "factors_reset", "Second factors reset by an Admin"
    RECOVERY_CODES_MADE = "recovery_codes_made", "New recovery codes made"
    FACTOR_FAILED = "factor_failed", "Second factor refused (wrong code)"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"


class AuditEvent(Event):
    """Everything done that is not about one SIM or one order, each with who and through which door."""

    action = models.CharField(max_length=20, choices=AuditAction.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="What it was about, in words")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "-at"], name="audit_action_recent"),
                   models.Index(fields=["interface", "-at"], name="audit_interface_recent"),  # admin's filters
                   models.Index(fields=["actor_name", "-at", "-id"], name="audit_actor_recent")]  # and its search
        permissions = [("use_admin", "Can use Django admin (with the staff flag)")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class EventKind(models.TextChoices):
    """What an integrator can be told about (webhooks): one vocabulary for the services that
    emit, the subscriptions that choose and the README that documents."""

    REQUEST_SETTLED = "request.settled", "Request settled (success or failed)"
    SIM_STATE_CHANGED = "sim.state_changed", "SIM state changed"
    DRIFT_FOUND = "drift.found", "Drift found"
    ORDER_DESPATCHED = "order.despatched", "Order despatched"
    STOCK_LOW = "stock.low", "Stock low"
    BATCH_FINISHED = "batch.finished", "Batch finished"
    SIM_REPLACED = "sim.replaced", "SIM replaced (the number kept)"


class OutboxEvent(models.Model):
    """The outbox: a change an integrator may be told about, written in the transaction of the
    change (`common.events.emit`), so none is lost and none is told of a change that rolled back.
    The hooks app fans each out to the subscriptions that want it, then sends them.

    Not named Event: that is the audit trail's abstract base above (SimEvent, OrderEvent)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                            help_text="The event's id for integrators (the same in every retry)")
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    payload = models.JSONField(help_text="Ids and outcome words only: never a subscriber's details")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the hooks app is due to fan it out to its subscriptions; empty once it has. Claimed by
    # moving it ahead (ops.leases.claim_due), so two workers never fan one event out twice at once.
    fan_out_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.uuid}"
