"""Adoptions: SIMs already in use at aql brought into our records, one ICCID a row, each asked
about once (queryiccid) by the worker and recorded as aql has it (sims.services.adoptions).

Imported by sims.models, so Django finds them with the app's other models.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Adoption(models.Model):
    """A list of ICCIDs someone asked us to take over from aql: who, when, from where. Each ICCID's
    row says what aql said of it and what we did."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField("by", max_length=150, default="system")
    source = models.CharField(max_length=200, help_text="Where the ICCIDs came from, in words")
    created_at = models.DateTimeField(auto_now_add=True)
    size = models.PositiveIntegerField(default=0, help_text="ICCIDs to ask aql about")
    # Its rows are still being written: until then it cannot have finished, however fast aql answers.
    queueing = models.BooleanField(default=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Every ICCID answered")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Adoption {self.pk}: {self.size:,} ICCIDs"


class AdoptionRow(models.Model):
    """One ICCID of an adoption. Claimed (asking, with the time) in the database before aql is asked,
    and never taken again by the worker: a row whose answer was lost stays asking, not known, until
    someone asks again on purpose."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to be asked"
        ASKING = "asking", "Asked: no answer recorded"
        DONE = "done", "Answered"

    class Said(models.TextChoices):
        """What aql said of the ICCID: its iccidstate, or why it said none."""

        NOTHING_YET = "", "Not asked yet"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        TERMINATED = "terminated", "Terminated"
        UNUSED = "unused", "Unused"
        PENDING = "pending", "Activating"
        NOT_ON_ACCOUNT = "not_on_account", "Not on our account"
        INVALID = "invalid", "Not an ICCID to aql"
        NO_ANSWER = "no_answer", "No answer: not known"

    class Did(models.TextChoices):
        """What we did with aql's answer."""

        NOTHING_YET = "", "Nothing yet"
        ADDED = "added", "Added"
        MATCHED = "matched", "Ours already, matching"
        FOLLOWED = "followed", "Ours already, now as aql has it"
        LEFT = "left", "Left to a command in progress"
        NOT_ADDED = "not_added", "Not added"
        NOT_KNOWN = "not_known", "Not known"

    adoption = models.ForeignKey(Adoption, on_delete=models.CASCADE, related_name="rows", db_index=False)
    iccid = models.CharField("ICCID", max_length=20)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    said = models.CharField("aql said", max_length=16, choices=Said.choices, blank=True, default="")
    did = models.CharField("we did", max_length=12, choices=Did.choices, blank=True, default="")
    outcome = models.TextField(blank=True, help_text="What was found and done, in words")
    codes = models.JSONField(default=list, blank=True, help_text="aql's codes, when it refused to say")
    sim = models.ForeignKey("sims.Sim", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    asked_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The page's counts (what aql said, what we did, where each stands) read this index alone.
            models.Index(fields=["adoption", "state", "said", "did"], name="adoption_row_counts"),
            # Its rows a page at a time, all or by what aql said.
            models.Index(fields=["adoption", "id"], name="adoption_row_order"),
            models.Index(fields=["adoption", "said", "id"], name="adoption_row_said"),
            # The worker's "what is waiting": small however many rows were answered.
            models.Index(fields=["id"], condition=Q(state="waiting"), name="adoption_row_waiting"),
        ]
        constraints = [models.UniqueConstraint(fields=["adoption", "iccid"], name="adoption_iccid_once")]

    def __str__(self) -> str:
        return f"{self.iccid} ({self.get_state_display()})"
