"""Reads of replacements (sims.models_replacements) that pages, services and the worker share."""

from django.db.models import Prefetch, Q, QuerySet

from common.paging import Page, seek
from sims.lifecycle import SimState
from sims.models import Replacement, ReplacementStep, Sim
from sims.models_replacements import HOLDING, WORDS, ReplacementState


def sim_replacement(*, sim_id: int) -> Replacement | None:
    """The replacement under way (running, waiting or stopped) that involves this SIM, old or new."""
    return _with_its_rows(Replacement.objects.filter(Q(old_sim_id=sim_id) | Q(new_sim_id=sim_id), state__in=HOLDING))


def sim_replacement_latest(*, sim_id: int) -> Replacement | None:
    """The latest replacement that involved this SIM, under way or finished (the SIM page shows it)."""
    return _with_its_rows(Replacement.objects.filter(Q(old_sim_id=sim_id) | Q(new_sim_id=sim_id)))


def sims_replacement_latest(*, sim_ids: list[int]) -> dict[int, Replacement]:
    """The latest replacement of each of these SIMs (old or new), as `sim_replacement_latest` finds one,
    by SIM id; SIMs never replaced are absent. Two queries for a page of SIMs, whatever it holds: the
    ids and SIM pairs first on the replacements' own table (its two SIM indexes, as `_with_its_rows`
    says why), then the rows chosen with what `replacement_said` reads."""
    wanted, latest = set(sim_ids), {}
    found = (Replacement.objects.filter(Q(old_sim_id__in=wanted) | Q(new_sim_id__in=wanted)).order_by()
             .values_list("created_at", "pk", "old_sim_id", "new_sim_id")) if wanted else ()
    for created_at, pk, *sims in found:
        for sim_id in sims:
            if sim_id in wanted and (created_at, pk) > latest.get(sim_id, (created_at, 0)):
                latest[sim_id] = (created_at, pk)
    if not latest:
        return {}
    rows = Replacement.objects.select_related("old_sim", "new_sim", "waiting_behind").in_bulk(
        {pk for _, pk in latest.values()})
    return {sim_id: rows[pk] for sim_id, (_, pk) in latest.items()}


def _with_its_rows(found: QuerySet[Replacement]) -> Replacement | None:
    """The latest of `found`, then it with its SIMs, number and request: found first on its own table.
    As one query, PostgreSQL without statistics (a table filled in one transaction) once joined the
    SIMs to themselves before the OR on replacements: minutes on a thousand SIMs."""
    pk = found.order_by("-created_at", "-id").values_list("pk", flat=True).first()
    if pk is None:
        return None
    return Replacement.objects.select_related("old_sim", "new_sim", "number", "waiting_behind").get(pk=pk)


def replacement_page(*, state: str = "", cursor: str = "") -> Page:
    """One page of the replacements, newest first, narrowed to one state: each with its SIMs, number
    and steps' requests (what `replacement_json` reads), in a fixed number of queries. Seeks on the
    (state, id) index, or the primary key."""
    found = Replacement.objects.select_related("old_sim", "new_sim", "number", "waiting_behind").prefetch_related(
        Prefetch("steps", queryset=ReplacementStep.objects.select_related("request").order_by("id")))
    if state in ReplacementState.values:
        found = found.filter(state=state)
    return seek(found, ("-pk",), cursor)


def replacement_said(replacement: Replacement) -> str:
    """Where the procedure stands, in staff's words (the pages, the API and the command line say this)."""
    state = ReplacementState(replacement.state)
    step = WORDS[replacement.step].lower()
    if state == ReplacementState.RUNNING and replacement.waiting_behind_id:
        command = replacement.waiting_behind.get_command_display().lower()
        return f"In progress: {step} once the {command} in progress has finished (it was sent before)."
    if state == ReplacementState.RUNNING:
        return f"In progress: {step}."
    if state == ReplacementState.WAITING:
        return (f"Waiting: {step}: aql's answer was not clear, so nothing more is sent until the outcome is "
                "known (it is checked with aql).")
    if state == ReplacementState.STOPPED:
        return f"Stopped at “{step}”: {replacement.stopped_why}"
    if state == ReplacementState.DONE:
        return "Done: the new SIM has the number, the subscriber and the services; the old SIM is terminated."
    return "Abandoned: nothing more is sent; each SIM stays as aql has it."


def replacement_json(replacement: Replacement) -> dict:
    """The procedure for the API and `sim show --json`: ids, ICCIDs, where it stands, each step's request."""
    return {"id": replacement.pk, "url": f"/api/v1/replacements/{replacement.pk}",
            "old_iccid": replacement.old_sim.iccid, "new_iccid": replacement.new_sim.iccid,
            "number": replacement.number.number, "state": replacement.state, "step": replacement.step or None,
            "said": replacement_said(replacement), "created_at": replacement.created_at,
            "finished_at": replacement.finished_at, "by": replacement.actor_name,
            "steps": [{"step": s.step, "request_id": s.request_id, "command": s.request.command,
                       "state": s.request.state} for s in replacement.steps.all()]}


def unused_sims_ending(*, digits: str) -> list[Sim]:
    """At most two unused SIMs whose ICCID ends with `digits` (the reversed ICCID's index, a range)."""
    return list(Sim.objects.filter(iccid_reversed__startswith=digits[::-1], state=SimState.UNUSED)[:2])
