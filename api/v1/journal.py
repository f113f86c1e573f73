"""The journal (`/requests`): every command sent to aql, its state and its outcome in words; a
request in flight checked now, an unknown outcome settled by hand."""

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema

from api.answers import Paged, answer
from api.auth import PROVISION, may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS, aql_code, gateway_error, problem
from common.paging import seek
from sims import selectors
from sims import services as sim_services
from sims.lifecycle import Command, RequestState
from sims.models import GatewayRequest
from sims.outcomes import code_errors, request_outcome
from sims.reasons import StopReason


class Code(Schema):
    code: int
    meaning: str
    field: str | None


class RequestOut(Schema):
    """A command in the journal. `state` is one of RequestState; `unknown` means aql's outcome is
    not known yet: `outcome` says what is being done about it, and it is never resent."""
    id: int
    url: str
    sim: str
    command: str
    state: str
    settled: bool
    outcome: str
    codes: list[Code]
    by: str
    batch: int | None
    reason: str | None  # why a suspend or termination was asked (a code of StopReason); null: none said
    created_at: datetime
    settled_at: datetime | None
    next_check_at: datetime | None


def request_out(r: GatewayRequest) -> dict:
    return {"id": r.pk, "url": f"/api/v1/requests/{r.pk}", "sim": r.sim.iccid, "command": r.command,
            "state": r.state, "settled": not r.in_flight,
            "outcome": request_outcome(r).text,
            "codes": [{"code": c.code, "meaning": c.message, "field": f} for f, c in code_errors(r)],
            "by": r.actor_name, "batch": r.batch_id, "reason": r.reason, "created_at": r.created_at,
            "settled_at": r.settled_at, "next_check_at": r.next_poll_at}


def sent(request: HttpRequest, r: GatewayRequest) -> JsonResponse:
    """How a command went: refused by aql (422, each code next to its input) or by our rules when
    its turn came (409); done at once (200); else 202, to be followed at its URL."""
    r = GatewayRequest.objects.select_related("sim").get(pk=r.pk)
    url = f"/api/v1/requests/{r.pk}"
    if r.state == RequestState.REJECTED:
        errors = code_errors(r)
        return problem(request, 422, request_outcome(r).text, [gateway_error(f, c) for f, c in errors],
                       code=aql_code([c for _, c in errors]), request=url)
    if r.state == RequestState.NOT_SENT:
        return problem(request, 409, request_outcome(r).text, code="not-sent", request=url)
    return answer(request_out(r), 202 if r.in_flight else 200, location=url)


class RequestPage(Paged):
    items: list[RequestOut]


journal = Router(tags=["journal"])


@journal.get("/requests", response={200: RequestPage, **PROBLEMS})
def request_list(request: HttpRequest, cursor: str = "", command: Command | None = None,
                 state: RequestState | None = None, view: Literal["in_flight", "failed", "attention", "unknown"]
                 | None = None, who: Literal["staff", "system", "all"] = "staff", since: date | None = None,
                 reason: StopReason | None = None):
    """The journal, newest first: what staff and keys asked by default (`who=system`: the worker's own checks)."""
    may(request, "sims.view_gatewayrequest")
    # (with each request's latest timeline line: what a query found, read with the rows)
    page = seek(selectors.with_latest_message(selectors.requests_filtered(
        show=view or "", who=who, command=command or "", state=state or "", since=since, reason=reason or "")),
        ("-created_at", "-pk"), cursor[:500])
    return {"items": [request_out(r) for r in page.rows], "next": page.next or None}


@journal.get("/requests/{request_id}", response={200: RequestOut, **PROBLEMS})
def request_detail(request: HttpRequest, request_id: int):
    """One request: its state, its outcome in words, aql's codes with their meaning."""
    may(request, "sims.view_gatewayrequest")
    return request_out(GatewayRequest.objects.select_related("sim").get(pk=request_id))


class SettleIn(Schema):
    happened: bool  # having seen aql's record of the SIM since it was sent (GET the SIM; ask aql first)


@journal.post("/requests/{request_id}/check", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def request_check(request: HttpRequest, request_id: int):
    """Check a request in flight with aql now, without waiting for the worker."""
    may(request, PROVISION)

    def run() -> HttpResponse:
        r = GatewayRequest.objects.get(pk=request_id)
        if not r.in_flight:
            return answer(request_out(GatewayRequest.objects.select_related("sim").get(pk=r.pk)))
        return sent(request, sim_services.request_poll(request_id=r.pk))

    return write(request, run)


@journal.post("/requests/{request_id}/settle", response={200: RequestOut, **WRITE_PROBLEMS})
def request_settle(request: HttpRequest, request_id: int, body: SettleIn):
    """Settle an unknown outcome by hand (Supervisor), on aql's record of the SIM since it was sent."""
    may(request, "sims.settle_request")
    return write(request, lambda: answer(request_out(GatewayRequest.objects.select_related("sim").get(
        pk=sim_services.request_resolve(request_id=request_id, happened=body.happened,
                                        actor=request.auth.owner).pk))))
