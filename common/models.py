"""What every app shares: the audit trail's common fields and its record of what is not a SIM's
(sign-ins, refusals, numbers added, raw gateway sends), when each worker pass last finished, and
the leases that keep a pass to one worker at a time."""

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

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.actor_name = name_of(self.actor) if self.actor_id else self.actor_name
            self.interface = current_interface() if self.interface == Interface.SYSTEM else self.interface
        super().save(*args, **kwargs)


class AuditAction(models.TextChoices):
    """What the audit trail records, one vocabulary for SIMs, orders and the rest: the services
    write these, the pages and admin filter by them."""

    # a SIM and its requests
    SENDING = "sending", "Sending"
    SENT = "sent", "Accepted by aql"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"
    UNKNOWN = "unknown", "Outcome unknown"
    NOT_SENT = "not_sent", "Not done"
    SETTLED = "settled", "Settled by hand"
    QUERIED = "queried", "Asked aql"
    DRIFT = "drift", "Differed from aql"
    ATTENTION = "attention", "Needs attention"
    ERASED = "erased", "Personal details erased"
    CHANGED = "changed", "Details changed"
    SCHEDULED = "scheduled", "Scheduled"
    # everything else
    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    FORBIDDEN = "forbidden", "Refused: no permission"
    NUMBERS_ADDED = "numbers_added", "Numbers added"
    SIMS_ADDED = "sims_added", "SIMs added"
    GATEWAY_SENT = "gateway_sent", "Sent to aql by hand"
    API_KEY = "api_key", "API key made or revoked"


# The actions a SIM's own trail records (SimEvent): its admin filter offers only these, as a
# filter for one it never has would read the whole trail to find nothing.
SIM_ACTIONS = (AuditAction.SENDING, AuditAction.SENT, AuditAction.SUCCEEDED, AuditAction.FAILED, AuditAction.REFUSED,
               AuditAction.UNKNOWN, AuditAction.NOT_SENT, AuditAction.SETTLED, AuditAction.QUERIED, AuditAction.DRIFT,
               AuditAction.ATTENTION, AuditAction.ERASED, AuditAction.CHANGED, AuditAction.SCHEDULED)


class AuditEvent(Event):
    """Everything done that is not about one SIM or one order, each with who and through which door."""

    action = models.CharField(max_length=20, choices=AuditAction.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="What it was about, in words")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "-at"], name="audit_action_recent"),
                   models.Index(fields=["interface", "-at"], name="audit_interface_recent")]  # admin's filters
        permissions = [("use_admin", "Can use Django admin (with the staff flag)")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"
