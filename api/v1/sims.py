"""SIMs (`/sims`): listed, searched, read with their latest requests, added; and the commands staff
give one SIM (activate, suspend, reactivate, terminate, services, number, query), each journalled
and answered as `journal.sent` says."""

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from api import keys
from api.answers import Paged, answer
from api.auth import PROVISION, TERMINATE, may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS
from api.v1.journal import RequestOut, request_out, sent
from aql.usim import SERVICES
from common import validators
from sims import reasons, selectors
from sims import services as sim_services
from sims.lifecycle import Command, SimState
from sims.models import GatewayRequest, Replacement, Sim
from sims.models_replacements import ReplacementState
from sims.reasons import StaffReason
from sims.selectors_replacements import replacement_said, sim_replacement_latest, sims_replacement_latest


class SimReplacement(Schema):
    """The latest replacement this SIM is part of, under way or finished, as its page shows it."""
    id: int
    url: str
    role: Literal["old", "new"] = Field(description="This SIM's part in it: `old`, the SIM replaced (its number "
                                                    "moves to the other); `new`, the SIM that replaces it")
    other_iccid: str = Field(description="The other SIM of the replacement")
    state: ReplacementState = Field(description="running, waiting (a step's outcome not known), stopped (a "
                                                "Supervisor resumes or abandons it), done, abandoned")
    step: str | None = Field(description="Its current step; null once it is done")
    said: str = Field(description="Where it stands, in words: why it stopped and what to do")


class SimOut(Schema):
    iccid: str
    url: str
    state: str
    number: str | None
    imei: str
    services: dict[str, bool | None] = Field(
        description="Each service by name: true on, false off, null not known (voice and SMS of a SIM adopted from "
                    "the gateway, whose record does not show them, until a change of services tells us)")
    product_code: str | None
    batch: str | None
    command_in_flight: str | None
    updated_at: datetime
    replacement: SimReplacement | None = Field(description="The latest replacement this SIM is part of (old or "
                                                           "new), under way or finished; null if none")


class Subscriber(Schema):
    name: str
    address: str
    postcode: str
    contact_number: str


class SimDetail(SimOut):
    subscriber: Subscriber | None  # only for a key whose role may see personal details
    subscriber_not_known: bool = Field(description="In use at the gateway, but we hold no subscriber for it "
                                                   "(adopted): not known until staff fill it in")
    requests: list[RequestOut]  # the latest 20


class SimPage(Paged):
    items: list[SimOut]


def _replacement_out(sim: Sim, found: Replacement | None) -> dict | None:
    if found is None:
        return None
    old = found.old_sim_id == sim.pk
    return {"id": found.pk, "url": f"/api/v1/replacements/{found.pk}", "role": "old" if old else "new",
            "other_iccid": (found.new_sim if old else found.old_sim).iccid, "state": found.state,
            "step": found.step or None, "said": replacement_said(found)}


def _sim_out(sim: Sim, in_flight: str | None, replacement: Replacement | None) -> dict:
    return {"iccid": sim.iccid, "url": f"/api/v1/sims/{sim.iccid}", "state": sim.state,
            "number": sim.number.number if sim.number_id else None, "imei": sim.imei, "services": sim.services,
            "product_code": sim.product_code, "batch": sim.lot, "command_in_flight": in_flight,
            "updated_at": sim.updated_at, "replacement": _replacement_out(sim, replacement)}


def _sim(iccid: str) -> Sim:
    try:  # 19 or 20 digits 0-9 (422 otherwise), so a record saved with other digits is never acted on
        return selectors.sim_detail(iccid=validators.field("iccid", validators.clean_iccid, iccid, check_digit=False))
    except Sim.DoesNotExist:
        raise Http404("No SIM with that ICCID on our account.") from None


sims = Router(tags=["SIMs"])


@sims.get("/sims", response={200: SimPage, **PROBLEMS})
def sim_list(request: HttpRequest, q: str = "", state: SimState | None = None, service: str = "",
             sort: Literal["updated", "iccid", "state"] = "updated", cursor: str = ""):
    """SIMs, searched (ICCID or its last digits, a number, a name or postcode) and filtered, a page at a time.
    Filtered by a service, they come by last change whatever `sort` asks. Each says the latest replacement it
    is part of, if any."""
    may(request, "sims.view_sim")
    page = selectors.sim_page(search=q[:100], by_person="sims.see_personal_details" in keys.permissions(request.auth),
                              state=state or "", service=service if service in SERVICES else "",
                              sort=sort, cursor=cursor[:500])
    replacements = sims_replacement_latest(sim_ids=[s.pk for s in page.rows])  # the page's, in two queries
    return {"items": [_sim_out(s, s.in_flight_label or None, replacements.get(s.pk)) for s in page.rows],
            "next": page.next or None}


@sims.get("/sims/{iccid}", response={200: SimDetail, **PROBLEMS})
def sim_detail(request: HttpRequest, iccid: str):
    """A SIM, its subscriber (for roles that see personal details), its latest requests and the latest
    replacement it is part of."""
    may(request, "sims.view_sim")
    sim = _sim(iccid)
    in_flight = selectors.sim_in_flight(sim=sim)
    personal = sim.subscriber if "sims.see_personal_details" in keys.permissions(request.auth) else None
    latest = selectors.with_latest_message(sim.requests.order_by("-created_at", "-pk"))[:20]
    replacement = sim_replacement_latest(sim_id=sim.pk)  # as its page shows it
    return {**_sim_out(sim, in_flight.command if in_flight else None, replacement),
            "subscriber": personal and {"name": personal.name, "address": personal.address,
                                        "postcode": personal.postcode, "contact_number": personal.contact_number},
            "subscriber_not_known": selectors.subscriber_not_known(sim),
            "requests": [request_out(r) for r in latest]}


class ActivateIn(Schema):
    imei: str
    number: str  # a pool number, written any usual way
    name: str
    address: str
    postcode: str
    contact_number: str


class ServicesIn(Schema):
    services: list[str]  # exactly these on, the rest off...
    keep: list[str] = Field(default=[], description="...but these left as they are (those not known, say)")


class NumberIn(Schema):
    number: str


class StopIn(Schema):
    """Why the line is stopped: a suspend or a termination says so."""
    reason: StaffReason | None = Field(default=None, description="Required: " + ", ".join(StaffReason.values))
    reason_words: str = Field(default="", description="Why, in a few words: required when `reason` is `other`; "
                                                      "kept for staff, never in a webhook")


def _command(permission: str, send: Callable[..., GatewayRequest], stop: Command | None = None) -> Callable:
    """The endpoint's work: who may, then (for a suspend or a termination, `stop`) why, then the service."""
    def run(request: HttpRequest, iccid: str, **data: object) -> HttpResponse:
        may(request, permission)
        if stop:
            reasons.require(stop, data.get("reason"))  # 422, in words, and nothing sent
        return write(request, lambda: sent(request, send(sim_id=_sim(iccid).pk, actor=request.auth.owner, **data)))
    return run


@sims.post("/sims/{iccid}/activate", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_activate(request: HttpRequest, iccid: str, body: ActivateIn):
    """Activate an unused SIM for a subscriber with a number from the pool (aql answers later: 202)."""
    return _command(PROVISION, sim_services.sim_activate)(request, iccid, **body.model_dump())


@sims.post("/sims/{iccid}/suspend", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_suspend(request: HttpRequest, iccid: str, body: StopIn):
    """Suspend an active SIM, saying why (`reason`; `reason_words` with `other`)."""
    return _command(PROVISION, sim_services.sim_suspend, Command.SUSPEND)(request, iccid, **body.model_dump())


@sims.post("/sims/{iccid}/reactivate", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_reactivate(request: HttpRequest, iccid: str):
    """Reactivate a suspended SIM."""
    return _command(PROVISION, sim_services.sim_reactivate)(request, iccid)


@sims.post("/sims/{iccid}/deactivate", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_deactivate(request: HttpRequest, iccid: str, body: StopIn):
    """Terminate a SIM for good (Supervisor), saying why as a suspend does: its number goes back to the pool
    when aql has done it."""
    return _command(TERMINATE, sim_services.sim_deactivate, Command.DEACTIVATE)(request, iccid, **body.model_dump())


@sims.put("/sims/{iccid}/services", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_services_set(request: HttpRequest, iccid: str, body: ServicesIn):
    """Give an active SIM exactly these services but those kept (additions first, then removals)."""
    return _command(PROVISION, sim_services.sim_services_set)(request, iccid, services=body.services, keep=body.keep)


@sims.put("/sims/{iccid}/number", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_number(request: HttpRequest, iccid: str, body: NumberIn):
    """Give an active SIM this number from the pool, or change its number to it (done at once: 200)."""
    may(request, PROVISION)
    sim = _sim(iccid)
    service = sim_services.sim_number_change if sim.number_id else sim_services.sim_number_assign
    return write(request, lambda: sent(request, service(sim_id=sim.pk, actor=request.auth.owner,
                                                          number=body.number)))


@sims.post("/sims/{iccid}/query", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_query(request: HttpRequest, iccid: str):
    """Ask aql for the SIM's live state, and bring our record in line with it."""
    return _command(PROVISION, sim_services.sim_query)(request, iccid)


CHUNK = 500  # ids a query (SQLite's limit on a query's parameters)


def sims_by_iccid(iccids: list[str]) -> dict[str, int]:
    """Our SIMs among `iccids` (ICCID -> id), a chunk of them a query; digits of other scripts are refused (422)."""
    for iccid in iccids:
        validators.field("iccids", validators.only_ascii_digits, iccid, "iccids")
    return {iccid: pk for start in range(0, len(iccids), CHUNK)
            for iccid, pk in Sim.objects.filter(iccid__in=iccids[start:start + CHUNK]).values_list("iccid", "pk")}


class IccidsIn(Schema):
    iccids: list[str] = Field(max_length=50_000)


class Added(Schema):
    added: int  # how many were new (those already here are skipped)


@sims.post("/sims", response={201: Added, **WRITE_PROBLEMS})
def sim_add(request: HttpRequest, body: IccidsIn):
    """Record SIMs aql put on our account (state unused): all or nothing."""
    may(request, "sims.add_sim")
    return write(request, lambda: answer({"added": len(sim_services.sim_add(iccids=body.iccids,
                                                                              actor=request.auth.owner))}, 201))
