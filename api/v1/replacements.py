"""Replacements (`/sims/{iccid}/replace`, `/replacements`): a SIM replaced by an unused one that keeps
its number, subscriber and services. Starting one answers 202: the worker sends each step, and the
procedure is followed at its URL until its `state` is `done` (or `stopped`, with why in `said`). They
are listed by state; a Supervisor's key resumes or abandons one that stopped, as the SIM page's
buttons do (the same services, the same permission)."""

from collections.abc import Callable
from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema

from api.answers import Paged, answer
from api.auth import may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS
from api.v1.sims import _sim
from sims import services as sim_services
from sims.models import Replacement
from sims.models_replacements import ReplacementState
from sims.selectors_replacements import replacement_json, replacement_page
from sims.services.replacements import REPLACE_PERMISSION, SUPERVISE_PERMISSION


class StepOut(Schema):
    step: str
    request_id: int
    command: str
    state: str


class ReplacementOut(Schema):
    id: int
    url: str
    old_iccid: str
    new_iccid: str
    number: str
    state: str  # running, waiting (a step's outcome not known), stopped, done, abandoned
    step: str | None
    said: str  # where it stands, in words: why it stopped and what to do
    created_at: datetime
    finished_at: datetime | None
    by: str
    steps: list[StepOut]


class ReplacementPage(Paged):
    items: list[ReplacementOut]


class ReplaceIn(Schema):
    new_iccid: str  # an unused SIM of ours
    imei: str | None = None  # the handset's, if not the old SIM's


replacements = Router(tags=["Replacements"])


def _found(pk: int) -> None:
    if not Replacement.objects.filter(pk=pk).exists():
        raise Http404("No such replacement.")


def _out(pk: int) -> dict:
    found = Replacement.objects.select_related("old_sim", "new_sim", "number", "waiting_behind").filter(pk=pk).first()
    if found is None:
        raise Http404("No such replacement.")
    return replacement_json(found)


@replacements.post("/sims/{iccid}/replace", response={202: ReplacementOut, **WRITE_PROBLEMS})
def sim_replace(request: HttpRequest, iccid: str, body: ReplaceIn):
    """Replace an active or suspended SIM by an unused one that keeps its number (202: follow `url`)."""
    may(request, REPLACE_PERMISSION)

    def run():
        started = sim_services.sim_replace(sim_id=_sim(iccid).pk, new_sim_id=_sim(body.new_iccid).pk,
                                           imei=body.imei, actor=request.auth.owner)
        data = _out(started.pk)
        return answer(data, 202, location=data["url"])
    return write(request, run)


@replacements.get("/replacements/{replacement_id}", response={200: ReplacementOut, **PROBLEMS})
def replacement_detail(request: HttpRequest, replacement_id: int):
    """A replacement: where it stands, in words, and each step's request."""
    may(request, "sims.view_sim")
    return _out(replacement_id)


@replacements.get("/replacements", response={200: ReplacementPage, **PROBLEMS})
def replacement_list(request: HttpRequest, state: ReplacementState | None = None, cursor: str = ""):
    """Replacements, newest first, a page at a time; `state` narrows them (`stopped`: those waiting for a
    Supervisor to resume or abandon them)."""
    may(request, "sims.view_sim")
    page = replacement_page(state=state or "", cursor=cursor[:500])
    return {"items": [replacement_json(r) for r in page.rows], "next": page.next or None}


def _supervise(act: Callable[..., Replacement], status: int) -> Callable[[HttpRequest, int], HttpResponse]:
    """A Supervisor's action on a replacement, as the SIM page's button: who may, which one (404), then
    the service, whose refusal (not in a state that allows it) is a problem in words."""
    def run(request: HttpRequest, replacement_id: int) -> HttpResponse:
        may(request, SUPERVISE_PERMISSION)

        def done() -> HttpResponse:
            _found(replacement_id)
            act(replacement_id=replacement_id, actor=request.auth.owner)
            data = _out(replacement_id)
            return answer(data, status, location=data["url"] if status == 202 else "")
        return write(request, done)
    return run


@replacements.post("/replacements/{replacement_id}/resume", response={202: ReplacementOut, **WRITE_PROBLEMS})
def replacement_resume(request: HttpRequest, replacement_id: int):
    """Resume a stopped replacement (Supervisor): its step is sent again by the worker, once what aql said is
    put right (202: follow `url`). One not stopped is refused (409, `replacement-state`)."""
    return _supervise(sim_services.replacement_resume, 202)(request, replacement_id)


@replacements.post("/replacements/{replacement_id}/abandon", response={200: ReplacementOut, **WRITE_PROBLEMS})
def replacement_abandon(request: HttpRequest, replacement_id: int):
    """Abandon a replacement under way (Supervisor): nothing more is sent; the number stays where aql has it
    (on a SIM, or back to the pool) and both SIMs may take commands again. One whose step is still with aql
    is refused (409, `sim-busy`: wait for it to settle); one done or abandoned already too (409,
    `replacement-state`)."""
    return _supervise(sim_services.replacement_abandon, 200)(request, replacement_id)
