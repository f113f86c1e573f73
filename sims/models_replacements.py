"""Replacements: a SIM replaced by another that keeps its number, as a procedure of several gateway
commands (sims.services.replacements; the order of steps and why: docs/REPLACEMENT.md).

Imported by sims.models, so Django finds them with the app's other models; sims.models' number
queries read HOLDING to keep a number a procedure holds out of everyone else's reach.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReplacementState(models.TextChoices):
    """Where a procedure stands."""

    @property
    def colour(self) -> str:
        return {"running": "blue", "waiting": "amber", "stopped": "red", "done": "green",
                "abandoned": "grey"}[self.value]

    RUNNING = "running", "In progress"  # its current step is with aql, or about to be sent
    WAITING = "waiting", "Waiting: outcome unknown"  # the current step's outcome is not known yet
    STOPPED = "stopped", "Stopped"  # a step was refused: a Supervisor resumes or abandons it
    DONE = "done", "Done"
    ABANDONED = "abandoned", "Abandoned"


# The steps, in the order of each plan, and what each is in words (docs/REPLACEMENT.md says why).
ACTIVATE, ADD, REMOVE, OLD_OFF, NEW_ON, OLD_END = "activate", "add", "remove", "old_off", "new_on", "old_end"
KEPT_ON = "kept_on"  # a terminated SIM's subscriber gets their resting number back: straight onto the new SIM
# For an active old SIM the subscriber stays reachable on it until the number moves: the number is
# off a SIM only between OLD_OFF and NEW_ON, two one-step commands. A suspended SIM cannot change
# number (changegeo needs it active), so it is terminated first and the number then moves.
PLANS = {"active": (ACTIVATE, ADD, REMOVE, OLD_OFF, NEW_ON, OLD_END),
         "suspended": (ACTIVATE, ADD, REMOVE, OLD_END, NEW_ON),
         # Already terminated: its number rests for the subscriber, free at aql, so the new SIM is
         # activated with it at once; no stand-in, nothing to move.
         "terminated": (KEPT_ON, ADD, REMOVE)}  # by Replacement.plan
WORDS = {ACTIVATE: "Activating the new SIM on a stand-in number",
         KEPT_ON: "Activating the new SIM with the subscriber's old number",
         ADD: "Giving the new SIM the old one's services",
         REMOVE: "Removing from the new SIM services the old one did not have",
         OLD_OFF: "Moving the old SIM onto a stand-in number, to free the kept one",
         NEW_ON: "Moving the kept number to the new SIM",
         OLD_END: "Terminating the old SIM",
         "": "Finished"}

# The states in which the procedure holds its number: no one else can take it.
HOLDING = (ReplacementState.RUNNING, ReplacementState.WAITING, ReplacementState.STOPPED)


class Replacement(models.Model):
    """One SIM replaced by another that keeps the subscriber, the number and the services. Each step
    is a journalled request (ReplacementStep); the procedure holds the number from its first step
    to its last."""

    # The old SIM's state when it began: which order of steps. A SIM being suspended (lost or stolen)
    # follows the suspended order, its termination sent once the suspend has settled.
    ACTIVE, SUSPENDED, TERMINATED = "active", "suspended", "terminated"
    old_sim = models.ForeignKey("sims.Sim", on_delete=models.PROTECT, related_name="replaced_by")
    new_sim = models.ForeignKey("sims.Sim", on_delete=models.PROTECT, related_name="replaces")
    plan = models.CharField(max_length=10, choices=[(ACTIVE, "Old SIM active"), (SUSPENDED, "Old SIM suspended"),
                                                    (TERMINATED, "Old SIM terminated: the number back")])
    number = models.ForeignKey("sims.GeographicNumber", on_delete=models.PROTECT, related_name="replacements",
                               help_text="The number kept: held for this procedure while it runs")
    # Numbers that stand in for a moment (a SIM cannot be without one at aql): for the new SIM until
    # the kept number reaches it, and for the old one once it lets the kept number go. Never a
    # subscriber's: nobody calls them, so they need not rest before reuse.
    new_stand_in = models.ForeignKey("sims.GeographicNumber", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    old_stand_in = models.ForeignKey("sims.GeographicNumber", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    imei = models.CharField("IMEI", max_length=15)
    services = models.JSONField(default=dict, help_text="The old SIM's services when it began: on, off, not known")
    state = models.CharField(max_length=10, choices=ReplacementState.choices, default=ReplacementState.RUNNING)
    step = models.CharField("current step", max_length=20)
    stopped_why = models.TextField(blank=True, help_text="Why it stopped and what to do, in words")
    # A command in flight for one of the SIMs when the current step came due (the suspend of a lost
    # SIM): the step is journalled when it settles (replacement_steps.step_settled).
    waiting_behind = models.ForeignKey("sims.GatewayRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField("by", max_length=150, default="system")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [  # one procedure at a time per SIM, and per number
            models.UniqueConstraint(fields=["old_sim"], condition=Q(state__in=HOLDING), name="replacement_old_once"),
            models.UniqueConstraint(fields=["new_sim"], condition=Q(state__in=HOLDING), name="replacement_new_once"),
            models.UniqueConstraint(fields=["number"], condition=Q(state__in=HOLDING), name="replacement_number_once"),
        ]
        # The API's list by state, newest first: a seek along (state, id), never a sort of them all.
        indexes = [models.Index(fields=["state", "id"], name="replacement_state_id")]

    def __str__(self) -> str:
        return f"Replacement {self.pk}: {self.old_sim_id} by {self.new_sim_id} ({self.state})"

    @property
    def colour(self) -> str:
        return ReplacementState(self.state).colour

    @property
    def holding(self) -> bool:
        return self.state in HOLDING


class ReplacementStep(models.Model):
    """One step of a procedure as sent: its journalled request. A step sent again after a refusal
    (resumed) has a second row."""

    replacement = models.ForeignKey(Replacement, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=20)
    request = models.OneToOneField("sims.GatewayRequest", on_delete=models.PROTECT, related_name="replacement_step")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.step} ({self.request_id})"
