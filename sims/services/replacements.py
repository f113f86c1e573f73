"""Replacing a SIM, keeping its number: starting the procedure, and a Supervisor resuming or abandoning
one that stopped. The steps themselves, and how the procedure moves: `replacement_steps`.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from common import validators
from common.actors import Actor, recorded
from common.audit import name_of
from common.errors import Refused
from common.validators import phone_national
from sims import lifecycle, selectors, selectors_rests
from sims.lifecycle import IN_FLIGHT, Command, RequestState, SimAction, SimState
from sims.models import GatewayRequest, GeographicNumber, Replacement, Sim, SimEvent
from sims.models_replacements import HOLDING, PLANS, ReplacementState
from sims.selectors_replacements import sim_replacement
from sims.services import replacement_steps
from sims.services.answers import event, locked_sim

LIVE = (SimState.ACTIVE, SimState.SUSPENDED)
REPLACE_PERMISSION = lifecycle.TABLE[Command.ACTIVATE].permission  # Customer service's: it activates the new SIM
SUPERVISE_PERMISSION = lifecycle.TERMINATE  # resume or abandon a stopped one: a Supervisor's


def _check_old(old: Sim) -> None:
    if old.state not in LIVE:
        raise Refused(f"Only an active, suspended or terminated SIM can be replaced; this one is "
                      f"{SimState(old.state).label.lower()}.", code="sim-state")
    if old.number_id is None:
        raise Refused("This SIM has no number to keep: give it one, or activate the new SIM instead.",
                      code="sim-state")
    if old.subscriber_id is None:
        raise Refused("This SIM's subscriber is not known (adopted from aql): fill in their details first; the "
                      "new SIM is activated with them.", code="sim-state")


def _check_new(old: Sim, new: Sim | None) -> Sim:
    if new is None:
        raise Refused("No SIM of ours has that ICCID.", "new_sim")
    if new.pk == old.pk:
        raise Refused("Choose another SIM: a SIM cannot replace itself.", "new_sim")
    if new.state != SimState.UNUSED:
        raise Refused(f"The new SIM must be unused; {new.iccid} is {SimState(new.state).label.lower()}.", "new_sim")
    return new


def _resting_for(old: Sim) -> QuerySet[GeographicNumber]:
    return GeographicNumber.objects.filter(rests_for_id=old.subscriber_id).order_by("-rests_since", "-id")


def resting_number(old: Sim) -> GeographicNumber | None:
    """The number a terminated SIM's subscriber may have back: the latest one resting for them."""
    return _resting_for(old).first() if old.subscriber_id is not None else None


def _check_returning(old: Sim) -> GeographicNumber:
    """A terminated SIM's subscriber gets a new SIM with their old number, while it rests for them."""
    if old.subscriber_id is None:
        raise Refused("This SIM's subscriber details were erased (or never known): their number cannot be "
                      "matched to them. Activate a new SIM for them with a free number instead.", code="sim-state")
    geo = _resting_for(old).select_for_update().first()
    if geo is None or not selectors_rests.is_resting(geo):
        raise Refused("No number rests for this subscriber now (its rest is over or was ended, or it moved to "
                      "another SIM): activate a new SIM for them with a free number instead.", code="sim-state")
    if why := selectors_rests.number_refusal(geo=geo, for_subscriber_id=old.subscriber_id):
        raise Refused(str(why), code="sim-state")
    return geo


def services_before_termination(old: Sim) -> dict:
    """The services a terminated SIM had just before its termination (its timeline's record of it):
    termination turns them all off, and the subscriber expects theirs back. None recorded: {} (the
    new SIM keeps what activation gives; nothing is guessed)."""
    ended = (SimEvent.objects.filter(sim=old, after__state=SimState.TERMINATED)
             .exclude(before__state=SimState.TERMINATED).order_by("-id").first())
    return dict(ended.before.get("services") or {}) if ended else {}


def _check_free(old: Sim, new: Sim) -> bool:
    """Refuse while either SIM is busy; True when the old one's suspend is with aql (lost or stolen:
    the new SIM may start now, and the old one is replaced as a suspended one)."""
    suspending = False
    for sim, which in ((old, "this SIM"), (new, f"the new SIM {new.iccid}")):
        busy = selectors.sim_in_flight(sim=sim)
        suspending = suspending or (busy is not None and sim == old and suspend_sent(busy))
        if busy and not (sim == old and suspending):
            raise Refused(f"{busy.get_command_display()} is still in progress for {which}: wait for it to finish.",
                          code="sim-busy")
        if other := sim_replacement(sim_id=sim.pk):
            raise Refused(f"{which.capitalize()} is already part of replacement {other.pk}: one at a time.",
                          code="sim-replacing")
    return suspending


@dataclass(frozen=True)
class Checked:
    """A replacement that may start now: its plan, the number it keeps, the new SIM and the IMEI."""

    plan: str
    number: GeographicNumber
    new: Sim
    imei: str


def _clean_imei(imei: str | None) -> str | None:
    return validators.clean_all(imei=(validators.clean_imei, imei))["imei"] if imei else None


def _checked(old: Sim, new_sim_id: int, imei: str | None) -> Checked:
    """Everything that must hold for `old` to be replaced now, or a refusal in words; in the caller's
    transaction, `old` locked (the new SIM is locked here)."""
    returning = old.state == SimState.TERMINATED
    kept = _check_returning(old) if returning else old.number
    if not returning:
        _check_old(old)
    new = _check_new(old, Sim.objects.select_for_update(of=("self",)).filter(pk=new_sim_id).first())
    suspending = _check_free(old, new)
    imei = imei or old.imei
    if not imei:
        raise Refused("The old SIM's IMEI is not known: give the handset's IMEI.", "imei")
    plan = _plan(old, suspending)
    needed = {Replacement.ACTIVE: 2, Replacement.SUSPENDED: 1}.get(plan, 0)
    if needed and GeographicNumber.objects.available().order_by()[:needed].count() < needed:
        raise Refused(f"The number moves through {needed} free pool number(s) that stand in for a moment, and "
                      "the pool has not enough: add numbers under Numbers first.", code="pool-empty")
    return Checked(plan=plan, number=kept, new=new, imei=imei)


def sim_replace(*, sim_id: int, new_sim_id: int, actor: Actor, imei: str | None = None) -> Replacement:
    """Start replacing an active or suspended SIM by an unused one of ours that keeps its number, its
    subscriber and its services; the IMEI is the old SIM's unless another is given. The number is held
    for the procedure from now to its end. Its first step (activating the new SIM on a stand-in number)
    is journalled for the worker to send; each later step when the one before has succeeded.

    A SIM being suspended (lost or stolen) may be replaced at once: it is terminated once suspended.
    A terminated SIM's subscriber may have a new SIM with their old number while it rests for them:
    the new SIM is activated with it and given the services the old one had when terminated."""
    new_imei = _clean_imei(imei)
    with transaction.atomic():
        old = locked_sim(sim_id)
        found = _checked(old, new_sim_id, new_imei)
        plan, kept, new, new_imei = found.plan, found.number, found.new, found.imei
        try:
            with transaction.atomic():
                replacement = Replacement.objects.create(
                    old_sim=old, new_sim=new, plan=plan, number=kept, imei=new_imei,
                    services=services_before_termination(old) if plan == Replacement.TERMINATED else old.services,
                    step=PLANS[plan][0], actor=recorded(actor), actor_name=name_of(actor))
        except IntegrityError:
            raise Refused("A replacement was just started for one of these SIMs.", code="sim-replacing") from None
        shown = phone_national(kept.number)
        event(sim=old, actor=actor, action=SimAction.CHANGED, before=old.snapshot(),
              message=f"Replacement {replacement.pk} started: SIM {new.iccid} takes over the number {shown}.")
        event(sim=new, actor=actor, action=SimAction.CHANGED, before=new.snapshot(),
              message=f"Replacement {replacement.pk} started: this SIM replaces {old.iccid} with the number {shown}.")
        replacement_steps.journal_step(replacement, PLANS[plan][0])
        if replacement.state == ReplacementState.STOPPED:  # nothing sent: refuse rather than start stopped
            raise Refused(replacement.stopped_why, code="pool-empty")
    return replacement


@dataclass(frozen=True)
class Consequences:
    """What starting a replacement will do, in words: the page's confirmation and the CLI's say the same."""

    headline: str
    points: list[str]
    for_good: str  # what cannot be undone, said apart ("" when nothing is terminated)
    imei: str

    def lines(self) -> list[str]:
        return [self.headline, *(f"- {point}" for point in self.points),
                *([f"- {self.for_good}"] if self.for_good else []), self.imei]


def replacement_consequences(*, sim_id: int, new_sim_id: int, imei: str | None = None,
                             here: bool = True) -> Consequences:
    """What replacing SIM `sim_id` by `new_sim_id` would do, in words, or the refusal `sim_replace` would
    give now (a bad IMEI, a busy SIM...): nothing is started. `here`: said on the old SIM's own page
    ("this SIM"); elsewhere (the CLI) each SIM is named by its ICCID."""
    new_imei = _clean_imei(imei)
    with transaction.atomic():
        old = locked_sim(sim_id)
        found = _checked(old, new_sim_id, new_imei)
    this = "this SIM" if here else f"SIM {old.iccid}"
    opening = this[0].upper() + this[1:]  # the same words, opening a sentence
    number, new = phone_national(found.number.number), found.new.iccid
    # The first look at a two-step command comes this long after it is sent (docs/REPLACEMENT.md: measured).
    checked = f"aql is first asked {settings.AQL_FIRST_POLL_DELAY // 60} minutes after it is sent"
    handset = (f"Handset IMEI: {found.imei}" + (" (kept)" if not new_imei or new_imei == old.imei else
                                                f" (changed from {old.imei})" if old.imei else ""))
    if found.plan == Replacement.TERMINATED:
        return Consequences(
            f"SIM {new} will be activated with the number {number}, the subscriber's details and the services "
            f"{this} had.",
            [f"The worker sends the activation to aql ({checked}); both SIMs' pages follow it.",
             "No one else can take the number meanwhile; once the new SIM has it, it no longer rests."], "", handset)
    if found.plan == Replacement.ACTIVE:
        how = f"{opening} keeps ringing until the number moves; the number is on no SIM for a few seconds only."
    elif old.state == SimState.ACTIVE:  # its suspend (lost or stolen) is with aql
        how = (f"{opening} is being suspended: the new SIM is activated now, {this} is terminated once the suspend is "
               f"done, and the number moves to the new SIM as soon as aql confirms the termination ({checked}).")
    else:
        how = (f"{opening} is suspended: it is terminated first, and the number moves to the new SIM as soon as aql "
               f"confirms the termination ({checked}).")
    return Consequences(
        f"SIM {new} will take over from {'this one' if here else this}, with the number {number}, the subscriber "
        "and the services it has now.",
        ["The worker sends each step to aql in turn; both SIMs' pages follow it.", how,
         "No one else can take the number meanwhile."], f"{opening} is then terminated for good.", handset)


def suspend_sent(request: GatewayRequest) -> bool:
    """A suspend already with aql: the replacement may start behind it. One still waiting to be sent
    (a batch's, a schedule's) is not: the procedure's hold on the SIM would stop it being sent."""
    return request.command == Command.SUSPEND and request.state != RequestState.TO_SEND


def _plan(old: Sim, suspending: bool) -> str:
    """Which order of steps: a SIM being suspended (lost or stolen) is replaced as a suspended one."""
    if old.state == SimState.TERMINATED:
        return Replacement.TERMINATED
    return Replacement.SUSPENDED if old.state == SimState.SUSPENDED or suspending else Replacement.ACTIVE


def _locked(replacement_id: int) -> Replacement:
    return Replacement.objects.select_for_update().select_related("number").get(pk=replacement_id)


def replacement_resume(*, replacement_id: int, actor: Actor) -> Replacement:
    """Send a stopped procedure's step again (a Supervisor, once what aql said is put right)."""
    with transaction.atomic():
        replacement = _locked(replacement_id)
        if replacement.state != ReplacementState.STOPPED:
            raise Refused(f"Only a stopped replacement can be resumed; this one is "
                          f"{replacement.get_state_display().lower()}.", code="replacement-state")
        replacement_steps.journal_step(replacement, replacement.step)
        for sim in Sim.objects.filter(pk__in=(replacement.old_sim_id, replacement.new_sim_id)):
            event(sim=sim, actor=actor, action=SimAction.CHANGED, before=sim.snapshot(),
                  message=f"Replacement {replacement.pk} resumed by {name_of(actor)}.")
    return replacement


def abandon_words(replacement: Replacement) -> str:
    """What abandoning leaves, in words: nothing is sent to aql; each SIM keeps what aql has on it."""
    holder = Sim.objects.filter(number=replacement.number).first()
    where = (f"stays on SIM {holder.iccid}" if holder else
             "is on no SIM now, and goes back to the pool")
    return (f"Nothing more is sent to aql. The number {phone_national(replacement.number.number)} {where}; "
            "each SIM stays as aql has it (a stand-in number on a SIM stays on it).")


def replacement_abandon(*, replacement_id: int, actor: Actor) -> Replacement:
    """Give up a procedure whose current step is not with aql (a Supervisor): it lets the number go
    wherever aql has it (abandon_words says where), and both SIMs may take commands again."""
    with transaction.atomic():
        replacement = _locked(replacement_id)
        if replacement.state not in HOLDING:
            raise Refused(f"This replacement is {replacement.get_state_display().lower()}: nothing to abandon.",
                          code="replacement-state")
        step = replacement.steps.order_by("-id").select_related("request").first()
        if step and step.request.state in IN_FLIGHT:
            raise Refused("Its current step is still with aql (or its outcome not yet known): wait for it to "
                          "settle, then abandon.", code="sim-busy")
        words = abandon_words(replacement)
        replacement.state, replacement.finished_at = ReplacementState.ABANDONED, timezone.now()
        replacement.save()
        for sim in Sim.objects.filter(pk__in=(replacement.old_sim_id, replacement.new_sim_id)):
            event(sim=sim, actor=actor, action=SimAction.CHANGED, before=sim.snapshot(),
                  message=f"Replacement {replacement.pk} abandoned by {name_of(actor)}. {words}")
    return replacement
