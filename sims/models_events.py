"""A SIM's audit trail (sealed: ops.seal).

Imported by sims.models, so Django finds it with the app's other models.
"""

from django.db import models

from common.models import Event
from sims.lifecycle import SimAction
from sims.models import MATCHED, GatewayRequest, Sim


class SimEvent(Event):
    """The audit trail of a SIM: who did what to it, when (UTC), through which interface, with the
    SIM before and after."""

    sim = models.ForeignKey(Sim, on_delete=models.CASCADE, related_name="events")
    request = models.ForeignKey(GatewayRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="events")
    action = models.CharField(max_length=40, choices=SimAction.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    # The drift sweep's routine "matches" lines go after AQL_CHECKS_KEPT_DAYS (followup.checks_prune): sealed,
    # and their deletion counted as pruned. Any other line deleted is reported by `audit verify`.
    SEAL_MAY_GO = {"action": SimAction.QUERIED.value, "message": MATCHED}

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "-at", "-id"], name="sim_event_action_recent")]  # admin's filter

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
