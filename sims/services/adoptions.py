"""Adopting SIMs already in use at aql: a list of ICCIDs our records may not hold, each asked about
once (queryiccid) by the worker's adoption lane and recorded as aql has it.

A row is claimed in the database (asking, with the time) before aql is asked, and the worker never
takes it again: a restart goes on with the rows still waiting, and a row whose answer was lost (the
worker stopped while asking) stays "asked, no answer recorded", not known, until a person asks
again (`adoption_ask_again`). A SIM is added only once aql says it is on our account: an ICCID aql
does not have (63003) or calls invalid (63001) is reported on its row, and nothing is added for it.

What aql's query shows becomes ours: state, number (put in the pool as this SIM's), international
roaming and calls, premium. What it cannot show, calls and texts, is recorded as not known
(NOT_KNOWN), never guessed. A SIM we hold already is compared as the drift sweep compares
(answers.reconcile): a second adoption changes nothing, and a SIM with a command in flight is left
to that command.
"""

from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from aql.http import GatewayError, GatewayRejected
from aql.usim import IccidState, IccidStatus
from common import validators
from common.actors import Actor, recorded
from common.audit import name_of
from common.errors import Refused
from common.models import AuditAction, AuditEvent
from ops import gateway, pipeline
from sims import lifecycle, selectors
from sims.lifecycle import Command, RequestStep, SimAction, SimState
from sims.models import Adoption, AdoptionRow, GatewayRequest, RequestState, Sim
from sims.selectors_adoptions import adoption_counts, adoption_summary
from sims.services.answers import _number_for, event, reconcile, settle

NOT_KNOWN = None  # an adopted SIM's calls and texts: aql's query cannot show them
UNSHOWN = lifecycle.NOT_SHOWN_BY_QUERY  # calls and texts
ADOPT_PERMISSION = "sims.add_sim"  # adopting adds SIMs to our records: a Supervisor's to do
ADOPT_AT_MOST = 1_000_000  # ICCIDs in one adoption
CHUNK = 500  # rows written a transaction (SQLite's one write lock is let go between them)
LIVE = (IccidState.ACTIVE, IccidState.SUSPENDED)
State, Said, Did = AdoptionRow.State, AdoptionRow.Said, AdoptionRow.Did
OPEN = (State.WAITING, State.ASKING)


def _some(values: list[str], most: int = 10) -> str:
    more = f" and {len(values) - most:,} more" if len(values) > most else ""
    return ", ".join(values[:most]) + more


def _checked(iccids: Iterable[str]) -> list[str]:
    """The ICCIDs as recorded, in the order given; all refused, each problem in words, if one is not
    an ICCID or is given twice."""
    cleaned, seen, bad, repeats = [], set(), {}, []
    for value in iccids:
        try:
            iccid = validators.clean_iccid(value)
        except ValidationError as exc:  # grouped by what is wrong, each reason said once
            bad.setdefault(exc.messages[0], []).append(str(value))
            continue
        if iccid in seen:
            repeats.append(iccid)
        else:
            seen.add(iccid)
            cleaned.append(iccid)
    errors = [f"Not an ICCID: {_some(values)}. {reason}" for reason, values in bad.items()]
    if repeats:
        errors.append(f"Given more than once: {_some(repeats)}. Each ICCID is asked about once: give it once.")
    if len(cleaned) > ADOPT_AT_MOST:
        errors.append(f"At most {ADOPT_AT_MOST:,} ICCIDs in one adoption ({len(cleaned):,} given): split the list.")
    if not errors and not cleaned:
        errors.append("No ICCID given: one a line, or a file with an ICCID column.")
    if errors:
        raise ValidationError({"iccids": errors})
    return cleaned


def adoption_start(*, iccids: Iterable[str], actor: Actor, source: str) -> Adoption:
    """Adopt the SIMs of these ICCIDs: each one's row waits for the worker, which asks aql about it
    once and records what it says. All or nothing: refused, with every problem in words, when one is
    not an ICCID or is given twice. Its rows are written a chunk a transaction, so the worker's
    answers are recorded meanwhile. Returns the adoption."""
    wanted = _checked(iccids)
    adoption = Adoption.objects.create(actor=recorded(actor), actor_name=name_of(actor), source=source[:200],
                                       size=len(wanted))
    for start in range(0, len(wanted), CHUNK):
        with transaction.atomic():
            AdoptionRow.objects.bulk_create(AdoptionRow(adoption=adoption, iccid=iccid)
                                            for iccid in wanted[start:start + CHUNK])
    with transaction.atomic():
        Adoption.objects.filter(pk=adoption.pk).update(queueing=False)
        AuditEvent.objects.create(
            actor=recorded(actor), action=AuditAction.SIMS_ADDED, subject=f"Adoption {adoption.pk}",
            message=f"Adoption {adoption.pk} started: {len(wanted):,} ICCIDs ({source}) to ask aql about, each added "
                    "as aql has it, or compared if ours already.")
        _finish_if_done(adoption.pk)  # (aql may have answered every one already)
    adoption.refresh_from_db()
    return adoption


def adoption_rows_claim(*, limit: int) -> list[int]:
    """The worker's take: up to `limit` ICCIDs waiting to be asked, oldest first, each marked asked
    (with the time) before aql is asked. A row taken is never taken again by the worker."""
    waiting = AdoptionRow.objects.filter(state=State.WAITING).order_by("pk")
    if not waiting.exists():  # a read while there is nothing to do: no write lock taken every look
        return []
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        ids = list(waiting.values_list("pk", flat=True)[:limit])
        AdoptionRow.objects.filter(pk__in=ids, state=State.WAITING).update(state=State.ASKING,
                                                                             asked_at=timezone.now())
    return ids


def adoption_ask(*, row_id: int) -> AdoptionRow:
    """The worker's step for a claimed ICCID: ask aql about it (queryiccid) and record the answer;
    a row not asking (answered, or put back) is left as it is."""
    row = AdoptionRow.objects.get(pk=row_id)
    if row.state != State.ASKING:
        return row
    try:
        status = gateway.usim_client().queryiccid(iccid=row.iccid)
    except GatewayRejected as exc:
        return _record(row, partial(_refused, exc=exc))
    except GatewayError as exc:  # no answer, or none we can read: not known, and not asked again by itself
        return _record(row, partial(_not_known, why=f"aql gave no answer we can read ({exc})"))
    if status.iccid != row.iccid:
        return _record(row, partial(_not_known, why=f"aql's answer names another SIM ({status.iccid})"))
    return _record(row, partial(_answered, status=status))


def _record(asked: AdoptionRow, apply: partial) -> AdoptionRow:
    """Apply an answer to the row, re-read under lock, if it is still the asking we made (a row put
    back and asked again meanwhile has another time)."""
    with transaction.atomic():
        row = AdoptionRow.objects.select_for_update().select_related("adoption").get(pk=asked.pk)
        if row.state != State.ASKING or row.asked_at != asked.asked_at:
            return row
        apply(row)
        row.state, row.answered_at = State.DONE, timezone.now()
        row.save()
        _finish_if_done(row.adoption_id)
    return row


def _not_known(row: AdoptionRow, *, why: str) -> None:
    row.said, row.did = Said.NO_ANSWER, Did.NOT_KNOWN
    row.outcome = f"Not known: {why}. Nothing was changed; ask again from the adoption's page."


def _refused(row: AdoptionRow, *, exc: GatewayRejected) -> None:
    """aql would not say: not on our account (63003), not an ICCID (63001), or another refusal."""
    said = "; ".join(map(str, exc.codes))
    row.codes = list(exc.numbers)
    if 63003 not in exc.numbers and 63001 not in exc.numbers:
        _not_known(row, why=f"aql refused the question: {said}")
        return
    row.said = Said.NOT_ON_ACCOUNT if 63003 in exc.numbers else Said.INVALID
    row.did = Did.NOT_ADDED
    ours = Sim.objects.filter(iccid=row.iccid).first()
    if ours is None:
        row.outcome = f"Not added: {said}."
    else:  # never removed on the word of a refusal: a person looks into it
        row.sim = ours
        row.outcome = f"Ours already, but aql says: {said}. Left as it is: look into it with aql."


def _answered(row: AdoptionRow, *, status: IccidStatus) -> None:
    row.said = Said(status.state)
    sim = Sim.objects.select_for_update(of=("self",)).select_related("number").filter(iccid=row.iccid).first()
    if sim is None:
        row.sim, row.did = _added(row.adoption, status), Did.ADDED
        row.outcome = f"Added as aql has it: {_as_aql_has_it(status)}."
    else:
        row.sim = sim
        _compared(row, sim, status)


def _as_aql_has_it(status: IccidStatus) -> str:
    """aql's record of a SIM in words, what it cannot show said to be not known."""
    if status.state == IccidState.UNUSED:
        return "unused, never activated"
    if status.state == IccidState.TERMINATED:
        return "terminated"
    if status.state == IccidState.PENDING:
        return "being activated at aql (not by us); calls and texts not known (aql's record does not show them)"
    number = validators.phone_national(status.geo_nos) if status.geo_nos else "none"
    flags = ", ".join(f"{label} {'on' if value else 'off'}" for label, value in (
        ("international roaming", status.int_roaming), ("international calls", status.int_call),
        ("premium", status.premium)))
    return (f"{SimState(status.state).label.lower()}, number {number}; {flags}; calls and texts not known "
            "(aql's record does not show them)")


def _added(adoption: Adoption, status: IccidStatus) -> Sim:
    """A SIM we did not hold, recorded as aql has it, with its number in the pool as its own and a line
    on its timeline (the journal's query row is aql's answer, as for any query)."""
    live, now = status.state in LIVE, timezone.now()
    sim = Sim(iccid=status.iccid, iccid_reversed=status.iccid[::-1], state=status.state, checked_at=now,
              drift_at=now,  # just compared: the drift sweep takes it in its turn, not at once
              int_roaming=live and bool(status.int_roaming), int_calling=live and bool(status.int_call),
              premium=live and bool(status.premium))
    if status.state in (*LIVE, IccidState.PENDING):
        for name in UNSHOWN:
            setattr(sim, name, NOT_KNOWN)
    sim.save()
    if live and status.geo_nos:
        sim.number = _number_for(status.geo_nos, sim)  # (taken from a SIM we thought had it, which says so)
        sim.save(update_fields=["number"])
    request = GatewayRequest.objects.create(
        sim=sim, command=Command.QUERYICCID, params={}, actor=adoption.actor, actor_name=adoption.actor_name,
        state=RequestState.SUCCESS, state_before=status.state, reply=status.raw, settled_at=now)
    event(sim=sim, actor=adoption.actor, request=request, action=SimAction.QUERIED, before={},
          message=f"Adopted from aql (adoption {adoption.pk}): {_as_aql_has_it(status)}.")
    return sim


def _record_of(sim: Sim) -> dict[str, object]:
    return {"state": sim.state, "number": sim.number.number if sim.number else None,
            **{name: getattr(sim, name) for name in (*lifecycle.SHOWN_BY_QUERY, "premium", *UNSHOWN)}}


def _words(name: str, value: object) -> str:
    if name == "state":
        return SimState(value).label.lower()
    if name == "number":
        return validators.phone_national(value) if value else "none"
    return "not known" if value is None else "on" if value else "off"


def _compared(row: AdoptionRow, sim: Sim, status: IccidStatus) -> None:
    """A SIM we hold: compared with aql's record as the drift sweep compares it (answers.reconcile),
    through a query row of its own in the journal. Ours follows aql unless a command is in flight."""
    busy = selectors.sim_in_flight(sim=sim)
    before = _record_of(sim)
    request = GatewayRequest.objects.create(sim=sim, command=Command.QUERYICCID, params={},
                                            actor=row.adoption.actor, actor_name=row.adoption.actor_name,
                                            state_before=sim.state)
    settle(request.pk, RequestStep.ANSWER, partial(reconcile, status=status))
    sim = Sim.objects.select_related("number").get(pk=sim.pk)
    Sim.objects.filter(pk=sim.pk).update(drift_at=timezone.now())  # just compared, as _added's
    after = _record_of(sim)
    if busy is not None and busy.state != RequestState.TO_SEND:  # aql is working on it (reconcile's rule)
        row.did = Did.LEFT
        row.outcome = (f"Ours already, with {busy.get_command_display()} in progress: left to it, as its outcome "
                       "settles our record.")
    elif before == after:
        row.did, row.outcome = Did.MATCHED, "Ours already, and aql's record matches: nothing changed."
    else:
        changes = "; ".join(f"{_label(name)} was {_words(name, was)}, now {_words(name, after[name])}"
                            for name, was in before.items() if after[name] != was)
        row.did, row.outcome = Did.FOLLOWED, f"Ours already; aql's record differed, and ours now follows it: {changes}."


def _label(name: str) -> str:
    return name if name in ("state", "number") else str(Sim._meta.get_field(name).verbose_name)


def _finish_if_done(adoption_id: int) -> None:
    """Once every row is answered (and all were written), the adoption has finished: its summary line
    goes in the audit trail, once. The adoption is locked first, so of two last answers recorded at
    once the second sees the first's."""
    adoption = Adoption.objects.select_for_update().get(pk=adoption_id)
    if adoption.queueing or adoption.finished_at or adoption.rows.filter(state__in=OPEN).exists():
        return
    adoption.finished_at = timezone.now()
    adoption.save(update_fields=["finished_at"])
    AuditEvent.objects.create(actor=adoption.actor, action=AuditAction.SIMS_ADDED, subject=f"Adoption {adoption.pk}",
                              message=f"Finished. {adoption_summary(adoption, adoption_counts(adoption.pk))}")


def lost_before() -> timedelta:
    """How long after it was asked a row without an answer is taken for lost: longer than any step of
    the worker can run, waiting for its turn at aql included."""
    return timedelta(seconds=pipeline.claim_margin())


def adoption_ask_again(*, adoption_id: int, actor: Actor) -> int:
    """Put back, to be asked again, the adoption's ICCIDs whose answer is not known: aql gave none we
    could read, or the worker asked and stopped before recording its answer (asked longer ago than
    any step takes). On purpose, by a person: the worker never asks one twice by itself. Returns how many."""
    cutoff = timezone.now() - lost_before()
    again = AdoptionRow.objects.filter(Q(state=State.ASKING, asked_at__lt=cutoff) | Q(state=State.DONE,
                                                                                        said=Said.NO_ANSWER),
                                       adoption_id=adoption_id)
    with transaction.atomic():
        adoption = Adoption.objects.select_for_update().get(pk=adoption_id)
        put_back = again.update(state=State.WAITING, said="", did="", outcome="", codes=[], asked_at=None,
                                answered_at=None)
        if not put_back:
            raise Refused("Nothing to ask again: every ICCID of this adoption is answered, or being asked now.")
        adoption.finished_at = None
        adoption.save(update_fields=["finished_at"])
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.SIMS_ADDED,
                                  subject=f"Adoption {adoption_id}",
                                  message=f"{put_back:,} ICCIDs of adoption {adoption_id} whose answer was not known "
                                          "are to be asked again.")
    return put_back
