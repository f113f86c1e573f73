"""SIMs, their numbers and subscribers, the journal of gateway requests and the audit trail.

State fields are changed only by `sims.services`, through the table in `sims.lifecycle`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from aql import codes
from aql.usim import SERVICES
from common.roles import SYSTEM_USERNAME
from sims.lifecycle import ACTIVATION_SERVICES, FAILURES, IN_FLIGHT, Command, RequestState, SimState
from sims.reasons import StopReason

# Free to give out: on no SIM, held for no command in flight, not resting (the free numbers' partial
# index has this very condition; one cannot hold now(), so a rest that is over is cleared by the
# worker's ten-minute pass, sims.services.rests), and kept for no replacement (below).
MATCHED = "Asked aql: its record matches ours."  # the routine line (followup.checks_prune deletes old ones)
FREE = Q(on_sim=False, held_by__isnull=True, rests_until__isnull=True)


class NumberQuerySet(models.QuerySet):
    def available(self) -> "NumberQuerySet":
        """Free to give out (`FREE`: a small partial index, however many numbers are in use or resting),
        nor kept for a replacement under way."""
        return self.filter(FREE).exclude(pk__in=_kept())

    def in_use(self) -> "NumberQuerySet":
        """On a SIM, or held for a command in flight that gives it to one, or for a replacement (a resting
        number is none of these: `resting`)."""
        return self.filter(~Q(on_sim=False, held_by__isnull=True) | Q(pk__in=_kept()))

    def resting(self) -> "NumberQuerySet":
        """Freed from a subscriber's SIM and resting (or its rest just over, not yet cleared)."""
        return self.filter(rests_until__isnull=False)


def _kept() -> models.QuerySet:
    """The numbers replacements under way hold (a few: their own small query)."""
    return Replacement.objects.filter(state__in=HOLDING).values("number_id")


class GeographicNumber(models.Model):
    """A landline number allocated to our account by aql's Numbering API; on one SIM at most."""

    number = models.CharField(max_length=15, unique=True, help_text="International form, e.g. 441134960000")
    # Set while a command that gives this number to a SIM is in flight, so no one else takes it.
    # Unique when set, through a partial index only (Meta): an index on every NULL would be taken by
    # SQLite for "held by nothing", the whole pool, instead of the small index of free numbers.
    held_by = models.ForeignKey("GatewayRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="held_numbers", editable=False, db_index=False)
    added_at = models.DateTimeField(auto_now_add=True)
    # Whether a SIM has this number, kept by the database (triggers on the SIM table, migration
    # 0016) in the same transaction as the SIM's change: "free numbers" is then a small index,
    # not a search of every number for one no SIM points at.
    on_sim = models.BooleanField("on a SIM", default=False, editable=False)
    # Whether a SIM has ever had it, kept by the same triggers (migration 0026): such a number is in
    # that SIM's history and aql's, and is never deleted.
    was_on_sim = models.BooleanField("ever on a SIM", default=False, editable=False)
    # Freed from a subscriber's SIM (terminated, or its number changed): it rests (NUMBER_REST_DAYS)
    # so its callers never reach a stranger; only who it rests for may have it back meanwhile
    # (sims.selectors_rests). Cleared by the worker's ten-minute pass once over, or by a Supervisor.
    rests_since = models.DateTimeField(null=True, blank=True, editable=False)
    rests_until = models.DateTimeField(null=True, blank=True, editable=False)
    rests_for = models.ForeignKey("Subscriber", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  editable=False)  # erased with the subscriber: then it rests for nobody

    objects = NumberQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["number"], condition=FREE, name="number_free"),
                   models.Index(fields=["number"], condition=Q(rests_until__isnull=False), name="number_resting")]
        constraints = [models.UniqueConstraint(fields=["held_by"], condition=models.Q(held_by__isnull=False),
                                               name="number_held_once")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        # on_sim is the database's to keep: a number saved from a form read earlier never writes it back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [f.name for f in self._meta.concrete_fields if not f.primary_key
                                       and f.name not in ("on_sim", "was_on_sim")]
        super().save(*args, **kwargs)


class Subscriber(models.Model):
    """The person a SIM is activated for. Personal data, kept apart so it can be erased."""

    name = models.CharField(max_length=100, db_index=True)
    address = models.CharField(max_length=200)
    postcode = models.CharField(max_length=10, db_index=True)
    contact_number = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"{self.name}, {self.postcode}"


class Sim(models.Model):
    """A USIM on our account, mirroring what aql knows of it."""

    iccid = models.CharField("ICCID", max_length=20, unique=True)
    # The ICCID backwards, indexed: "ends with 1234" becomes an index range scan
    # (iccid_reversed LIKE '4321%') instead of LIKE '%1234' over every row.
    iccid_reversed = models.CharField(max_length=20, db_index=True, editable=False)
    # (Its own index stays although (state, id) covers it: on SQLite, altering a field of this
    # table remakes it, and that would drop the triggers that keep SimStateCount; see 0012.)
    state = models.CharField(max_length=12, choices=SimState.choices, default=SimState.UNUSED, editable=False,
                             db_index=True)
    imei = models.CharField("IMEI", max_length=15, blank=True, editable=False)
    number = models.OneToOneField(GeographicNumber, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="sim", editable=False)
    subscriber = models.OneToOneField(Subscriber, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="sim", editable=False)
    int_roaming = models.BooleanField("international roaming", default=False, editable=False)
    int_calling = models.BooleanField("international calls", default=False, editable=False)
    # Voice and SMS are on, off or None: not known. aql's query cannot show them, so a SIM found live at
    # aql without a command of ours that set them (adopted, or brought in line by a query) has them not
    # known until a change tells us. Roaming, international calls and premium stay on or off: the query
    # shows them for every live SIM. A SIM we activate has lifecycle.ACTIVATION_SERVICES, known.
    mo_voice = models.BooleanField("outgoing calls", null=True, default=False, editable=False)
    mt_voice = models.BooleanField("incoming calls", null=True, default=False, editable=False)
    mo_sms = models.BooleanField("outgoing SMS", null=True, default=False, editable=False)
    mt_sms = models.BooleanField("incoming SMS", null=True, default=False, editable=False)
    premium = models.BooleanField(default=False, editable=False)
    # When aql last told us this SIM's record (queryiccid answered).
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    # When the drift sweep last took this SIM to compare (answered or not): it takes the oldest
    # first, so one aql refuses or does not answer goes to the back instead of being taken again.
    # (Its order is the live SIMs' own index, sim_drift_live, below.)
    drift_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Compare with aql again by then: set when an outcome was decided without checkstatus, so a
    # late effect is caught in minutes. The drift sweep takes these first.
    recheck_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    # When it was seen terminated: its subscriber's details are erased so long after, if
    # PERSONAL_DATA_RETENTION_DAYS is set.
    terminated_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    # aql said the network was congested (63027): no command for this SIM before then.
    not_before = models.DateTimeField(null=True, blank=True, editable=False)
    # As the stock file gave them, if it did. Nullable on purpose: SQLite adds a nullable column in
    # place, where a NOT NULL one remakes the table of a million SIMs (and drops its triggers).
    product_code = models.CharField(max_length=30, null=True, blank=True, editable=False)  # noqa: DJ001
    lot = models.CharField("batch", max_length=50, null=True, blank=True, editable=False,  # noqa: DJ001
                           help_text="The supplier's batch the SIM came in")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "SIM"
        permissions = [
            ("provision_sim", "Can activate, suspend, reactivate, change services and numbers, ask aql"),
            ("terminate_sim", "Can terminate a SIM (cannot be undone)"),
            ("erase_subscriber", "Can erase a terminated SIM's subscriber details"),
            ("see_personal_details", "Can see subscribers' and recipients' details unmasked"),
        ]
        # Each sort the SIM list offers, filtered by state or not, is a walk along one of these
        # (ties broken by id), so a page is a seek, never a sort of every SIM. The unfiltered
        # sorts have theirs in updated_at, iccid and id themselves.
        indexes = [models.Index(fields=["state", "-updated_at", "-id"], name="sim_state_recent"),
                   models.Index(fields=["state", "id"], name="sim_state_id"),
                   models.Index(fields=["state", "iccid"], name="sim_state_iccid"),
                   # A filter Yes or No on a service (admin's) reads only the SIMs that have it, or have it not,
                   # by last change: not a walk of every SIM by date checking each (15-50 ms at a million).
                   *(models.Index(fields=["-updated_at", "-id"], condition=models.Q(**{flag: True}), name=f"sim_{flag}")
                     for flag in (*SERVICES, "premium")),
                   *(models.Index(fields=["-updated_at", "-id"], condition=models.Q(**{flag: False}),
                                  name=f"sim_no_{flag}") for flag in (*SERVICES, "premium")),
                   # ...and a service not known (rare): admin's filter "Unknown" walked every SIM (1.4 s).
                   *(models.Index(fields=["-updated_at", "-id"], condition=models.Q(**{f"{flag}__isnull": True}),
                                  name=f"sim_{flag}_not_known") for flag in ACTIVATION_SERVICES),
                   # ...and each service within a state: a rare pair (unused SIMs with outgoing SMS: none)
                   # would otherwise walk the state's every SIM to find it. A service filter sorts by last
                   # change only (selectors.sim_sort), so these are all its list needs.
                   *(models.Index(fields=["state", "-updated_at", "-id"], condition=models.Q(**{flag: True}),
                                  name=f"sim_state_{flag}") for flag in SERVICES),
                   # The drift sweep's order (never taken, then taken longest ago), live SIMs only: terminated
                   # ones are never taken again, so they would lie at the front of drift_at's own index,
                   # each skipped at every take (70,000 of them at a million SIMs).
                   models.Index(fields=["drift_at", "id"], condition=~models.Q(state=SimState.TERMINATED),
                                name="sim_drift_live")]

    def __str__(self) -> str:
        return self.iccid

    def save(self, *args, **kwargs) -> None:
        self.iccid_reversed = self.iccid[::-1]
        terminated = self.state == SimState.TERMINATED
        if terminated != (self.terminated_at is not None):  # however it came to be, or stopped being, terminated
            self.terminated_at = timezone.now() if terminated else None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "terminated_at"}
        super().save(*args, **kwargs)

    @property
    def colour(self) -> str:
        return SimState(self.state).colour

    @property
    def services(self) -> dict[str, bool | None]:
        """Each service by name: on (True), off (False) or not known (None)."""
        return {name: getattr(self, name) for name in SERVICES}

    def snapshot(self) -> dict:
        """What an audit event records before and after a change."""
        return {"state": self.state, "number": self.number.number if self.number else None,
                "services": self.services, "premium": self.premium, "imei": self.imei}


class SimStateCount(models.Model):
    """How many SIMs are in each state, kept by the database itself: triggers on the SIM table
    (migration 0012) count every insert, change of state and delete in the same transaction,
    however it is made (a service, a bulk load, admin). The dashboard reads these few rows
    instead of counting a million SIMs."""

    state = models.CharField(max_length=12, primary_key=True)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.state}: {self.count}"


# Who sent a request: the system's own checks, or staff. The request indexes and the requests page
# use these very conditions: SQLite uses a partial index only for a query with its exact condition.
SYSTEM = Q(actor_name=SYSTEM_USERNAME)
STAFF = ~SYSTEM


class Batch(models.Model):
    """One command for many SIMs at once (a selection, everything a filter matches): who, when,
    what. Each SIM's own request in the journal (GatewayRequest.batch) says how it went."""

    command = models.CharField(max_length=16, choices=Command.choices)
    params = models.JSONField(default=dict, blank=True, help_text="What each SIM's request adds to its number")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField("by", max_length=150, default="system")
    created_at = models.DateTimeField(auto_now_add=True)
    size = models.PositiveIntegerField(default=0, help_text="SIMs asked for")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"Batch {self.pk}: {self.get_command_display()} for {self.size:,} SIMs"


class Upload(models.Model):
    """A CSV file an agent uploaded, kept from its preview until the agent confirms or cancels it:
    it may hold subscribers' details. A file of stock is deleted once added; a file of activations
    is queued by the worker a chunk at a time (from `rows_done` on, so a restart goes on where it
    stopped) and kept with its batch, to try its failed rows again. The worker deletes every
    upload a day old (`services.uploads_prune`)."""

    STOCK, ACTIVATE, ADOPT = "stock", "activate", "adopt"
    kind = models.CharField(max_length=10, choices=[(STOCK, "Add SIMs to stock"), (ACTIVATE, "Activate SIMs"),
                                                    (ADOPT, "Adopt SIMs already in use at aql")])
    file = models.FileField(upload_to="uploads/")
    name = models.CharField(max_length=200, help_text="The file's name on the agent's computer")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    preview = models.JSONField(default=dict, blank=True, help_text="What the preview page shows")
    confirming = models.BooleanField(default=False, help_text="Being done: it can no longer be cancelled")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads",
                              help_text="The activations it started")
    queue_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                    help_text="When the worker goes on queueing its rows; empty once all are")
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows of the file the worker has gone through")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


COMMAND_WORDS = dict(Command.choices)


class GatewayRequest(models.Model):
    """The journal: one row per command sent to aql, written before it is sent. Never the password."""

    sim = models.ForeignKey(Sim, on_delete=models.PROTECT, related_name="requests")
    # Indexed where set only (Meta): most of the journal is in no batch.
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="requests",
                              db_index=False)
    command = models.CharField(max_length=16, choices=Command.choices)
    params = models.JSONField(default=dict, help_text="What was sent, without the credentials")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField("by", max_length=150, default="system")  # kept if the user goes
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.SENDING)
    state_before = models.CharField(max_length=12, choices=SimState.choices)
    aql_id = models.BigIntegerField("aql request id", null=True, blank=True, db_index=True)
    codes = models.JSONField(default=list, blank=True, help_text="Every code aql answered with")
    reply = models.TextField(blank=True, help_text="aql's last raw reply, or why there was none")
    # Why a request was never sent (the SIM could not take it when its turn came), in staff's words.
    # Nullable: a column added to a journal of millions without rewriting it.
    why_not_sent = models.TextField(null=True, blank=True)  # noqa: DJ001
    # Why a suspend or termination was asked (sims.reasons), and staff's words with it; null: not said.
    reason = models.CharField(max_length=20, choices=StopReason.choices, null=True, blank=True)  # noqa: DJ001
    reason_words = models.TextField(null=True, blank=True)  # noqa: DJ001  (personal, maybe: never in a webhook)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    # When the worker next looks at it (checkstatus, or queryiccid for an unknown outcome).
    # A worker claims a request by moving this ahead, so a crashed worker's claim runs out.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_count = models.PositiveIntegerField(default=0)
    needs_attention = models.BooleanField(default=False, db_index=True,
                                          help_text="Staff should look: pending too long, or aql cannot tell")
    # "in_flight", "failed" or "" (settled otherwise), kept by the database from the state. The journal's
    # views ask phase = X: SQLite cannot match a bound IN list of states to a partial index's condition,
    # so it sorted every failure (or walked every request of the system's) for a page of the system's few.
    phase = models.GeneratedField(
        expression=Case(When(state__in=IN_FLIGHT, then=Value("in_flight")),
                        When(state__in=FAILURES, then=Value("failed")), default=Value("")),
        output_field=models.CharField(max_length=9), db_persist=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("settle_request", "Can settle an unknown outcome by hand"),
                       ("send_raw", "Can send any command to aql by hand (manage.py aql)")]
        indexes = [
            models.Index(fields=["state", "next_poll_at"], name="request_due"),  # the worker's "what is due"
            models.Index(fields=["state", "settled_at"], name="request_settled"),  # the dashboard's failures
            # The requests page shows staff's actions or the system's own checks, newest first: each a
            # walk of its own partial index, however many drift checks the journal holds.
            models.Index(fields=["-created_at", "-id"], condition=STAFF, name="request_staff_recent"),
            models.Index(fields=["-created_at", "-id"], condition=SYSTEM, name="request_system_recent"),
            # ...and narrowed by person, command or outcome: newest first within each, never a sort of
            # them all. A person is one of the staff (selectors.request_page says so too): were the
            # system's checks in this index, SQLite would walk them all for a view of the system's few.
            models.Index(fields=["actor_name", "-created_at", "-id"], condition=STAFF, name="request_staff_person"),
            models.Index(fields=["command", "-created_at", "-id"], name="request_command_recent"),
            models.Index(fields=["state", "-created_at", "-id"], name="request_state_recent"),
            # The page's default is staff's: by command or outcome, the system's checks (most of the
            # journal's successes and queries) would be walked to find staff's (700 ms at a million SIMs).
            models.Index(fields=["command", "-created_at", "-id"], condition=STAFF, name="request_staff_command"),
            models.Index(fields=["state", "-created_at", "-id"], condition=STAFF, name="request_staff_state"),
            # ...and the few in flight, failed or needing a person (the dashboard, the page's views),
            # each its own small index rather than a walk of the whole journal in date order.
            # The phase leads each of these as well as being its condition: SQLite, asked phase = ? (a bound
            # value), checks it on every row it counts, and from the index alone only if the index holds it
            # (the dashboard's count of 20,000 in flight: 42 ms from the table, 1 from the index).
            models.Index(fields=["phase", "-created_at", "-id"], condition=Q(phase="in_flight"),
                         name="request_in_flight"),
            models.Index(fields=["phase", "-created_at", "-id"], condition=Q(phase="failed"), name="request_failed"),
            # The system's failures and requests in flight are few among staff's (no failure in a seeded
            # million): by request_failed PostgreSQL walked every failure to find none (93 ms).
            models.Index(fields=["phase", "-created_at", "-id"], condition=SYSTEM & Q(phase="failed"),
                         name="request_system_failed"),
            models.Index(fields=["phase", "-created_at", "-id"], condition=SYSTEM & Q(phase="in_flight"),
                         name="request_system_in_flight"),
            models.Index(fields=["-created_at", "-id"], condition=Q(needs_attention=True), name="request_attention"),
            # The dashboard's and the notices' oldest in flight that need a person: not every flagged row sorted.
            models.Index(fields=["needs_attention", "phase", "created_at", "id"],
                         condition=Q(needs_attention=True, phase="in_flight"), name="request_attention_open"),
            models.Index(fields=["batch", "state"], condition=Q(batch__isnull=False), name="request_in_batch"),
            models.Index(fields=["reason", "-created_at", "-id"], condition=Q(reason__isnull=False),
                         name="request_reason"),  # the journal's filter by reason: only the rows that have one
        ]
        constraints = [
            # One command in flight per SIM (asking the gateway is a read, it may run beside one).
            models.UniqueConstraint(
                fields=["sim"], name="one_request_in_flight_per_sim",
                condition=Q(state__in=IN_FLIGHT) & ~Q(command=Command.QUERYICCID),
            ),
        ]

    def __str__(self) -> str:
        # A dict made once: get_command_display makes one of every choice for each call, and admin's request
        # list names each row in its checkbox.
        return f"{COMMAND_WORDS.get(self.command, self.command)} {self.sim_id} ({self.state})"

    @property
    def colour(self) -> str:
        return RequestState(self.state).colour

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    @property
    def code_meanings(self) -> list[str]:
        """Each code aql gave, with what it means: never a bare number."""
        return [str(codes.usim(c)) for c in self.codes]


# A SIM's audit trail, schedules, adoptions and replacements are in modules of their own (this one is near its
# length), imported here for Django to find.
from sims.models_adoptions import Adoption, AdoptionRow  # noqa: E402, F401
from sims.models_events import SimEvent  # noqa: E402, F401
from sims.models_replacements import HOLDING, Replacement, ReplacementStep  # noqa: E402, F401
from sims.models_schedules import ScheduledAction  # noqa: E402, F401
