"""Scheduled actions: a suspend or a reactivate to give a SIM at a time to come, run by the worker
when due (sims.services.schedules).

Imported by sims.models, so Django finds it with the app's other models.
"""

from django.conf import settings
from django.db import models

from sims.lifecycle import SCHEDULED
from sims.reasons import StaffReason


class ScheduledAction(models.Model):
    """A suspend or a reactivate to give a SIM at a time to come (at the end of a contract, say).
    Until then it holds nothing: the SIM takes other commands meanwhile, and the action can be
    moved or cancelled. When it is due, the worker journals it as its scheduler's own request,
    waiting to be sent (or not done, with why, if the SIM cannot take it then): it has run."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RAN = "ran", "Ran"
        CANCELLED = "cancelled", "Cancelled"

    COMMANDS = SCHEDULED  # the registry's rows that may be scheduled
    sim = models.ForeignKey("Sim", on_delete=models.PROTECT, related_name="scheduled")
    command = models.CharField(max_length=16, choices=[(c.value, c.label) for c in COMMANDS])
    due_at = models.DateTimeField("when")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField("scheduled by", max_length=150, default="system")
    created_at = models.DateTimeField(auto_now_add=True)
    request = models.OneToOneField("GatewayRequest", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="scheduled_by", help_text="What it became when it ran")
    cancelled_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=20, choices=StaffReason.choices, null=True, blank=True)  # noqa: DJ001  (staff's)
    reason_words = models.TextField(null=True, blank=True)  # noqa: DJ001  (the request it makes carries both)

    class Meta:
        ordering = ["due_at", "id"]
        # Those still to run, by when: the worker's look for the due ones and the list's order.
        indexes = [models.Index(fields=["state", "due_at", "id"], name="scheduled_due")]

    def __str__(self) -> str:
        return f"{self.get_command_display()} {self.sim} at {self.due_at:%Y-%m-%d %H:%M}"
