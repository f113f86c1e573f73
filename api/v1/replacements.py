"""Replacements (`/sims/{iccid}/replace`, `/replacements/{id}`): a SIM replaced by an unused one that
keeps its number, subscriber and services. Starting one answers 202: the worker sends each step, and
the procedure is followed at its URL until its `state` is `done` (or `stopped`, with why in `said`)."""

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from api.answers import answer
from api.auth import may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS
from api.v1.sims import _sim
from sims import services as sim_services
from sims.models import Replacement
from sims.selectors_replacements import replacement_json
from sims.services.replacements import REPLACE_PERMISSION


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


class ReplaceIn(Schema):
    new_iccid: str  # an unused SIM of ours
    imei: str | None = None  # the handset's, if not the old SIM's


replacements = Router(tags=["Replacements"])


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
