"""The REST API, version 1 (`/api/v1/`): what staff do on the pages, for an integrator's systems,
through the same selectors and services. django-ninja makes the OpenAPI schema from these
functions (`/api/v1/openapi.json`; the interactive docs at `/api/v1/docs`, signed in).

Every call carries an API key (`Authorization: Bearer mvno_…`); it may do what its role may, and
what it does is recorded as its owner's, through the API, with the key's name. Every error is a
problem details object (`problems.py`). A command aql answers later is 202 with the request to
follow (`Location`); its `state` says `unknown` while aql's outcome is not known, with what is
being done about it, and never turns into failure or success without evidence. A write sent
with an `Idempotency-Key` is done once: the same key and body get the first answer again.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Literal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as SchemaError
from ninja.security import HttpBearer

from api import docs, keys
from api.models import ApiKey, IdempotentReply
from api.problems import gateway_error, problem, refusal
from api.throttle import KeyThrottle
from aql.usim import SERVICES
from common import audit, validators
from common.errors import REFUSALS, Refused
from common.events import EventKind
from common.models import AuditAction, AuditEvent
from common.paging import seek
from common.roles import permission_words
from hooks import services as hook_services
from hooks.models import Subscription
from orders import selectors as order_selectors
from orders import services as order_services
from orders.lifecycle import OrderState
from orders.models import DespatchOrder
from sims import lifecycle, selectors
from sims import services as sim_services
from sims.lifecycle import Command, RequestState, SimState
from sims.models import Batch, GatewayRequest, ScheduledAction, Sim
from sims.outcomes import code_errors, request_outcome

logger = logging.getLogger(__name__)


class KeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`: the live key, whose name then goes with everything recorded."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        # First, before anything is looked up: a NUL character is never text of ours, and
        # PostgreSQL refuses it in any query (a 500 where the answer is "not valid").
        if "\x00" in request.path or any("\x00" in v for _, values in request.GET.lists() for v in values) or (
                b"\x00" in request.body or b"\\u0000" in request.body):
            raise HttpError(422, "Text with a NUL character (\\u0000) is not valid anywhere in a request.")
        key = keys.key_for(token)
        if key is not None:
            audit.with_key(key.name)  # for the rest of this request (the interface middleware resets it)
        return key


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs: object) -> dict:
        """The schema, each error answer's body said as problem details (`application/problem+json`)."""
        schema = super().get_openapi_schema(**kwargs)
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for status, answer in operation.get("responses", {}).items():
                if int(status) >= 400 and "application/json" in answer.get("content", {}):
                    answer["content"] = {"application/problem+json": answer["content"]["application/json"]}
        return schema


api = Api(title="mvnoadmin", version="1", description=docs.DESCRIPTION, urls_namespace="api-v1", auth=KeyAuth(),
          throttle=[KeyThrottle()], docs_decorator=login_required)


# --- errors: one shape ---------------------------------------------------------------------------

class FieldError(Schema):
    field: str | None = None
    message: str
    code: int | None = None  # aql's code, where aql refused


class Problem(Schema):
    """RFC 9457 problem details."""
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None
    request: str | None = None  # what was written all the same, to follow: the journal's request, or the order


PROBLEMS = {code: Problem for code in (400, 401, 403, 404, 422, 429)}  # any call: its key, its inputs, its rate
WRITE_PROBLEMS = {**PROBLEMS, 409: Problem, 502: Problem}  # a write: refused by our rules, no clear answer from aql


@api.exception_handler(SchemaError)
def _invalid(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    def field(loc: list) -> str | None:  # ["query", "state"]; ["body", "body", "imei"]: the input's own name
        return ".".join(str(p) for p in loc[2 if loc[:1] == ["body"] else 1:]) or None

    errors = [{"field": field(list(e.get("loc", ()))), "message": e.get("msg", "")} for e in exc.errors]
    return problem(request, 422, "Some of what was sent is not valid: see errors.", errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(request, 401, "This call needs a live API key, sent as the header "
                                     "'Authorization: Bearer <your key>'; none was sent, or it is not one of ours or "
                                     "has been revoked. Your administrator issues keys.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = problem(request, 429, f"Too many calls with this key: at most {settings.API_RATE}.")
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, exc.message)


@api.exception_handler(Http404)
@api.exception_handler(ObjectDoesNotExist)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 404, str(exc) if isinstance(exc, Http404) and str(exc) else "Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(request, 413, f"The request body is larger than we take ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} "
                                 "bytes): send the list in several calls.")


for _refusal in REFUSALS:
    api.add_exception_handler(_refusal, refusal)


@api.exception_handler(Exception)
def _our_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return problem(request, 500, "Something went wrong on our side; it is logged. Nothing is said of it here.")


def _may(request: HttpRequest, permission: str) -> None:
    """The one check of what a key may do (its role's permissions), refused in words and recorded."""
    key: ApiKey = request.auth
    if permission not in keys.permissions(key):
        what = permission_words(permission)
        AuditEvent.objects.create(actor=key.owner, action=AuditAction.FORBIDDEN, subject=request.path[:200],
                                  message=f"Refused: {request.method} {request.path} needs permission to {what}.")
        raise AuthorizationError(403, f"This key ({key.role.name}) may not {what}.")


_provision, _terminate = "sims.provision_sim", "sims.terminate_sim"


# --- writes: once per Idempotency-Key ------------------------------------------------------------

def _write(request: HttpRequest, run: Callable[[], HttpResponse]) -> HttpResponse:
    """Run a write, turning a refusal into its problem; with an Idempotency-Key, once: the answer is
    kept a day (the worker deletes it then: api.tasks), and the same key with the same request gets
    it again without running anything."""
    def answer() -> HttpResponse:
        try:
            return run()
        except REFUSALS as exc:
            return refusal(request, exc)

    given = request.headers.get("Idempotency-Key", "")
    if not given:
        return answer()
    if len(given) > 200:
        return problem(request, 422, "An Idempotency-Key is at most 200 characters.",
                       [{"field": "Idempotency-Key", "message": "At most 200 characters."}])
    key: ApiKey = request.auth
    fingerprint = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), request.body])).hexdigest()
    for attempt in range(3):
        try:
            with transaction.atomic():
                kept = IdempotentReply.objects.create(key=key, idempotency_key=given, fingerprint=fingerprint)
            break
        except IntegrityError:
            first = IdempotentReply.objects.filter(key=key, idempotency_key=given).first()
            if first is not None and timezone.now() - first.created_at >= IDEMPOTENT_FOR:
                first.delete()  # past its day, not yet deleted by the worker's pass (api.tasks): forgotten here too
            elif first is not None:
                return _answered_before(request, first, fingerprint)
            elif attempt == 2:  # no reply to clash with: not the key's uniqueness (the API key deleted meanwhile?)
                raise
            # else deleted meanwhile: take the key anew
    else:
        return problem(request, 409, STILL_BEING_DONE)
    try:
        response = answer()
    except (Http404, ObjectDoesNotExist, SchemaError):
        kept.delete()  # found nothing to act on, before any change: the same key may be used again
        raise
    # Anything else (a crash part-way) keeps the key taken, unanswered: it may have done something.
    body = json.loads(response.content) if response.content else None
    if isinstance(body, dict) and "secret" in body:  # a webhook's secret is shown once, never kept here
        body["secret"] = None
    kept.status, kept.body = response.status_code, body
    kept.location = response.get("Location", "")[:200]
    kept.save(update_fields=["status", "body", "location"])
    return response


def _answered_before(request: HttpRequest, kept: IdempotentReply, fingerprint: str) -> HttpResponse:
    """What a write gets whose Idempotency-Key was used within its day: the first answer again, or
    why not."""
    if kept.fingerprint != fingerprint:
        return problem(request, 422, "This Idempotency-Key was used for another request: use a new key for "
                       "a new request.", [{"field": "Idempotency-Key", "message": "Used for another request."}])
    if kept.status is None and timezone.now() - kept.created_at < UNANSWERED_AFTER:
        return problem(request, 409, STILL_BEING_DONE)
    if kept.status is None:  # it ended without an answer (the process died): what it did is not known
        return problem(request, 409, "The first request with this Idempotency-Key ended without an answer: "
                       "whether it did anything is not known. Look at the SIM or the journal before asking "
                       "again with a new key.")
    replay = (HttpResponse(status=kept.status) if kept.body is None else JsonResponse(
        kept.body, status=kept.status, safe=False,
        content_type="application/problem+json" if kept.status >= 400 else "application/json"))
    if kept.location:
        replay["Location"] = kept.location
    replay["Idempotent-Replayed"] = "true"
    return replay


IDEMPOTENT_FOR = settings.API_IDEMPOTENCY_KEPT
STILL_BEING_DONE = "The first request with this Idempotency-Key is still being done: ask again in a moment."
UNANSWERED_AFTER = timedelta(minutes=5)  # longer than any write takes: a reply not written by then never will be


# --- the journal ---------------------------------------------------------------------------------

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
    created_at: datetime
    settled_at: datetime | None
    next_check_at: datetime | None


def _request(r: GatewayRequest) -> dict:
    return {"id": r.pk, "url": f"/api/v1/requests/{r.pk}", "sim": r.sim.iccid, "command": r.command,
            "state": r.state, "settled": not r.in_flight,
            "outcome": request_outcome(r).text,
            "codes": [{"code": c.code, "meaning": c.message, "field": f} for f, c in code_errors(r)],
            "by": r.actor_name, "batch": r.batch_id, "created_at": r.created_at, "settled_at": r.settled_at,
            "next_check_at": r.next_poll_at}


def _json(data: object, status: int = 200, location: str = "") -> JsonResponse:
    """An answer in JSON (dates as ISO 8601), with where to follow it when there is somewhere."""
    response = JsonResponse(data, status=status, encoder=DjangoJSONEncoder, safe=False)
    if location:
        response["Location"] = location
    return response


def _sent(request: HttpRequest, r: GatewayRequest) -> JsonResponse:
    """How a command went: refused by aql (422, each code next to its input) or by our rules when
    its turn came (409); done at once (200); else 202, to be followed at its URL."""
    r = GatewayRequest.objects.select_related("sim").get(pk=r.pk)
    url = f"/api/v1/requests/{r.pk}"
    if r.state == RequestState.REJECTED:
        return problem(request, 422, request_outcome(r).text, [gateway_error(f, c) for f, c in code_errors(r)],
                       request=url)
    if r.state == RequestState.NOT_SENT:
        return problem(request, 409, request_outcome(r).text, request=url)
    return _json(_request(r), 202 if r.in_flight else 200, location=url)


class Paged(Schema):
    next: str | None = None  # the cursor of the next page: pass it as ?cursor=


class RequestPage(Paged):
    items: list[RequestOut]


journal = Router(tags=["journal"])


@journal.get("/requests", response={200: RequestPage, **PROBLEMS})
def request_list(request: HttpRequest, cursor: str = "", command: Command | None = None,
                 state: RequestState | None = None, view: Literal["in_flight", "failed", "attention", "unknown"]
                 | None = None, who: Literal["staff", "system", "all"] = "staff", since: date | None = None):
    """The journal, newest first: what staff and keys asked by default (`who=system`: the worker's own checks)."""
    _may(request, "sims.view_gatewayrequest")
    # (with each request's latest timeline line: what a query found, read with the rows)
    page = seek(selectors.with_latest_message(selectors.requests_filtered(
        show=view or "", who=who, command=command or "", state=state or "", since=since)),
        ("-created_at", "-pk"), cursor[:500])
    return {"items": [_request(r) for r in page.rows], "next": page.next or None}


@journal.get("/requests/{request_id}", response={200: RequestOut, **PROBLEMS})
def request_detail(request: HttpRequest, request_id: int):
    """One request: its state, its outcome in words, aql's codes with their meaning."""
    _may(request, "sims.view_gatewayrequest")
    return _request(GatewayRequest.objects.select_related("sim").get(pk=request_id))


class SettleIn(Schema):
    happened: bool  # having seen aql's record of the SIM since it was sent (GET the SIM; ask aql first)


@journal.post("/requests/{request_id}/check", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def request_check(request: HttpRequest, request_id: int):
    """Check a request in flight with aql now, without waiting for the worker."""
    _may(request, _provision)

    def run() -> HttpResponse:
        r = GatewayRequest.objects.get(pk=request_id)
        if not r.in_flight:
            return _json(_request(GatewayRequest.objects.select_related("sim").get(pk=r.pk)))
        return _sent(request, sim_services.request_poll(request_id=r.pk))

    return _write(request, run)


@journal.post("/requests/{request_id}/settle", response={200: RequestOut, **WRITE_PROBLEMS})
def request_settle(request: HttpRequest, request_id: int, body: SettleIn):
    """Settle an unknown outcome by hand (Supervisor), on aql's record of the SIM since it was sent."""
    _may(request, "sims.settle_request")
    return _write(request, lambda: _json(_request(GatewayRequest.objects.select_related("sim").get(
        pk=sim_services.request_resolve(request_id=request_id, happened=body.happened,
                                        actor=request.auth.owner).pk))))


# --- SIMs ----------------------------------------------------------------------------------------

class SimOut(Schema):
    iccid: str
    url: str
    state: str
    number: str | None
    imei: str
    services: list[str]
    product_code: str | None
    batch: str | None
    command_in_flight: str | None
    updated_at: datetime


class Subscriber(Schema):
    name: str
    address: str
    postcode: str
    contact_number: str


class SimDetail(SimOut):
    subscriber: Subscriber | None  # only for a key whose role may see personal details
    requests: list[RequestOut]  # the latest 20


class SimPage(Paged):
    items: list[SimOut]


def _sim_out(sim: Sim, in_flight: str | None) -> dict:
    return {"iccid": sim.iccid, "url": f"/api/v1/sims/{sim.iccid}", "state": sim.state,
            "number": sim.number.number if sim.number_id else None, "imei": sim.imei, "services": sim.services,
            "product_code": sim.product_code, "batch": sim.lot, "command_in_flight": in_flight,
            "updated_at": sim.updated_at}


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
    Filtered by a service, they come by last change whatever `sort` asks."""
    _may(request, "sims.view_sim")
    page = selectors.sim_page(search=q[:100], by_person="sims.see_personal_details" in keys.permissions(request.auth),
                              state=state or "", service=service if service in SERVICES else "",
                              sort=sort, cursor=cursor[:500])
    return {"items": [_sim_out(s, s.in_flight_label or None) for s in page.rows], "next": page.next or None}


@sims.get("/sims/{iccid}", response={200: SimDetail, **PROBLEMS})
def sim_detail(request: HttpRequest, iccid: str):
    """A SIM, its subscriber (for roles that see personal details) and its latest requests."""
    _may(request, "sims.view_sim")
    sim = _sim(iccid)
    in_flight = selectors.sim_in_flight(sim=sim)
    personal = sim.subscriber if "sims.see_personal_details" in keys.permissions(request.auth) else None
    latest = selectors.with_latest_message(sim.requests.order_by("-created_at", "-pk"))[:20]
    return {**_sim_out(sim, in_flight.command if in_flight else None),
            "subscriber": personal and {"name": personal.name, "address": personal.address,
                                        "postcode": personal.postcode, "contact_number": personal.contact_number},
            "requests": [_request(r) for r in latest]}


class ActivateIn(Schema):
    imei: str
    number: str  # a pool number, written any usual way
    name: str
    address: str
    postcode: str
    contact_number: str


class ServicesIn(Schema):
    services: list[str]  # exactly these on, the rest off


class NumberIn(Schema):
    number: str


def _command(permission: str, send: Callable[..., GatewayRequest]) -> Callable:
    def run(request: HttpRequest, iccid: str, **data: object) -> HttpResponse:
        _may(request, permission)
        return _write(request, lambda: _sent(request, send(sim_id=_sim(iccid).pk, actor=request.auth.owner, **data)))
    return run




@sims.post("/sims/{iccid}/activate", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_activate(request: HttpRequest, iccid: str, body: ActivateIn):
    """Activate an unused SIM for a subscriber with a number from the pool (aql answers later: 202)."""
    return _command(_provision, sim_services.sim_activate)(request, iccid, **body.model_dump())


@sims.post("/sims/{iccid}/suspend", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_suspend(request: HttpRequest, iccid: str):
    """Suspend an active SIM."""
    return _command(_provision, sim_services.sim_suspend)(request, iccid)


@sims.post("/sims/{iccid}/reactivate", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_reactivate(request: HttpRequest, iccid: str):
    """Reactivate a suspended SIM."""
    return _command(_provision, sim_services.sim_reactivate)(request, iccid)


@sims.post("/sims/{iccid}/deactivate", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_deactivate(request: HttpRequest, iccid: str):
    """Terminate a SIM for good (Supervisor): its number goes back to the pool when aql has done it."""
    return _command(_terminate, sim_services.sim_deactivate)(request, iccid)


@sims.put("/sims/{iccid}/services", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_services_set(request: HttpRequest, iccid: str, body: ServicesIn):
    """Give an active SIM exactly these services (additions first, then removals)."""
    return _command(_provision, sim_services.sim_services_set)(request, iccid, services=body.services)


@sims.put("/sims/{iccid}/number", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_number(request: HttpRequest, iccid: str, body: NumberIn):
    """Give an active SIM this number from the pool, or change its number to it (done at once: 200)."""
    _may(request, _provision)
    sim = _sim(iccid)
    service = sim_services.sim_number_change if sim.number_id else sim_services.sim_number_assign
    return _write(request, lambda: _sent(request, service(sim_id=sim.pk, actor=request.auth.owner,
                                                          number=body.number)))


@sims.post("/sims/{iccid}/query", response={200: RequestOut, 202: RequestOut, **WRITE_PROBLEMS})
def sim_query(request: HttpRequest, iccid: str):
    """Ask aql for the SIM's live state, and bring our record in line with it."""
    return _command(_provision, sim_services.sim_query)(request, iccid)


CHUNK = 500  # ids a query (SQLite's limit on a query's parameters)


def _sims_by_iccid(iccids: list[str]) -> dict[str, int]:
    """Our SIMs among `iccids` (ICCID -> id), a chunk of them a query; digits of other scripts are refused (422)."""
    for iccid in iccids:
        validators.field("iccids", validators.only_ascii_digits, iccid, "iccids")
    return {iccid: pk for start in range(0, len(iccids), CHUNK)
            for iccid, pk in Sim.objects.filter(iccid__in=iccids[start:start + CHUNK]).values_list("iccid", "pk")}


class IccidsIn(Schema):
    iccids: list[str] = Field(max_length=50_000)


class NumbersIn(Schema):
    numbers: list[str] = Field(max_length=50_000)  # UK landline numbers, written any usual way


class Added(Schema):
    added: int  # how many were new (those already here are skipped)


@sims.post("/sims", response={201: Added, **WRITE_PROBLEMS})
def sim_add(request: HttpRequest, body: IccidsIn):
    """Record SIMs aql put on our account (state unused): all or nothing."""
    _may(request, "sims.add_sim")
    return _write(request, lambda: _json({"added": len(sim_services.sim_add(iccids=body.iccids,
                                                                              actor=request.auth.owner))}, 201))


class NumberOut(Schema):
    number: str
    sim: str | None


class NumberPage(Paged):
    items: list[NumberOut]


@sims.get("/numbers", response={200: NumberPage, **PROBLEMS})
def number_list(request: HttpRequest, show: Literal["available", "assigned"] | None = None, q: str = "",
                cursor: str = ""):
    """The pool of geographic numbers: free ones, or those on a SIM."""
    _may(request, "sims.view_geographicnumber")
    page = selectors.number_page(show=show or "", search=q[:30], cursor=cursor[:500])
    return {"items": [{"number": n.number, "sim": n.sim.iccid if getattr(n, "sim", None) else None}
                      for n in page.rows], "next": page.next or None}


@sims.post("/numbers", response={201: Added, **WRITE_PROBLEMS})
def number_add(request: HttpRequest, body: NumbersIn):
    """Add numbers aql allocated to our account to the pool: all or nothing."""
    _may(request, "sims.add_geographicnumber")
    return _write(request, lambda: _json({"added": len(sim_services.number_add(numbers=body.numbers,
                                                                                 actor=request.auth.owner))}, 201))


class ScheduledOut(Schema):
    id: int
    url: str
    sim: str
    command: str
    due_at: datetime
    state: str
    by: str
    request: str | None  # the journal's request, once it ran


class ScheduledPage(Paged):
    items: list[ScheduledOut]


class ScheduleIn(Schema):
    command: Literal[lifecycle.SCHEDULE_NAMES]  # the registry's rows that can be scheduled
    iccids: list[str] = Field(max_length=50_000)
    due_at: datetime


class RescheduleIn(Schema):
    due_at: datetime


def _scheduled(a: ScheduledAction) -> dict:
    return {"id": a.pk, "url": f"/api/v1/scheduled/{a.pk}", "sim": a.sim.iccid, "command": a.command,
            "due_at": a.due_at, "state": a.state, "by": a.actor_name,
            "request": f"/api/v1/requests/{a.request_id}" if a.request_id else None}


@sims.get("/scheduled", response={200: ScheduledPage, **PROBLEMS})
def schedule_list(request: HttpRequest, done: bool = False, cursor: str = ""):
    """Suspends and reactivations to come, soonest first (`done=true`: those that ran or were cancelled)."""
    _may(request, "sims.view_sim")
    page = selectors.schedule_page(done=done, cursor=cursor[:500])
    return {"items": [_scheduled(a) for a in page.rows], "next": page.next or None}


@sims.post("/scheduled", response={201: ScheduledPage, **WRITE_PROBLEMS})
def schedule_add(request: HttpRequest, body: ScheduleIn):
    """Schedule a suspend or a reactivate of these SIMs for a time to come (checked when it runs)."""
    _may(request, _provision)

    def run() -> HttpResponse:
        found = _sims_by_iccid(body.iccids)
        if not body.iccids or (missing := [i for i in body.iccids if i not in found]):
            return problem(request, 422, "Give the ICCIDs of SIMs of ours.",
                           [{"field": "iccids", "message": f"Not ours: {', '.join(missing[:20])}" if body.iccids
                             else "At least one."}])
        ids = sim_services.schedule_add(sim_ids=list(found.values()), command=Command(body.command),
                                        due_at=body.due_at, actor=request.auth.owner)
        made = [a for start in range(0, len(ids), CHUNK) for a in ScheduledAction.objects.filter(
            pk__in=ids[start:start + CHUNK]).select_related("sim").order_by("pk")]
        return _json({"items": [_scheduled(a) for a in made], "next": None}, 201)

    return _write(request, run)


@sims.patch("/scheduled/{action_id}", response={200: ScheduledOut, **WRITE_PROBLEMS})
def schedule_change(request: HttpRequest, action_id: int, body: RescheduleIn):
    """Move a scheduled action that has not run to another time to come."""
    _may(request, _provision)
    return _write(request, lambda: _json(_scheduled(sim_services.schedule_change(
        action_id=ScheduledAction.objects.get(pk=action_id).pk, due_at=body.due_at, actor=request.auth.owner))))


@sims.delete("/scheduled/{action_id}", response={200: ScheduledOut, **WRITE_PROBLEMS})
def schedule_cancel(request: HttpRequest, action_id: int):
    """Cancel a scheduled action that has not run."""
    _may(request, _provision)
    return _write(request, lambda: _json(_scheduled(sim_services.schedule_cancel(
        action_id=ScheduledAction.objects.get(pk=action_id).pk, actor=request.auth.owner))))


# --- batches -------------------------------------------------------------------------------------

class Progress(Schema):
    waiting: int
    in_progress: int
    succeeded: int
    failed: int
    unknown: int
    attention: int


class BatchOut(Schema):
    id: int
    url: str
    command: str
    size: int
    by: str
    created_at: datetime
    finished: bool
    progress: Progress


class BatchPage(Paged):
    items: list[BatchOut]


class BatchIn(Schema):
    command: Literal[lifecycle.BATCH_NAMES]  # the registry's rows that can be batched
    iccids: list[str] = Field(max_length=50_000)
    services: list[str] | None = None


def _batch(batch: Batch, progress: dict[str, int] | None = None) -> dict:
    progress = progress or selectors.batch_progress(batch)
    return {"id": batch.pk, "url": f"/api/v1/batches/{batch.pk}", "command": batch.command, "size": batch.size,
            "by": batch.actor_name, "created_at": batch.created_at, "progress": progress,
            "finished": selectors.batch_finished(batch, progress)}


batches = Router(tags=["batches"])


@batches.get("/batches", response={200: BatchPage, **PROBLEMS})
def batch_list(request: HttpRequest, cursor: str = ""):
    """Batches, newest first, each with its progress."""
    _may(request, "sims.view_sim")
    page = selectors.batch_page(cursor=cursor[:500])
    progress = selectors.batches_progress(b.pk for b in page.rows)
    return {"items": [_batch(b, progress[b.pk]) for b in page.rows], "next": page.next or None}


@batches.get("/batches/{batch_id}", response={200: BatchOut, **PROBLEMS})
def batch_detail(request: HttpRequest, batch_id: int):
    """A batch and where its SIMs stand; each SIM's request is in the journal (?batch is on each)."""
    _may(request, "sims.view_sim")
    return _batch(Batch.objects.get(pk=batch_id))


@batches.post("/batches", response={202: BatchOut, **WRITE_PROBLEMS})
def batch_create(request: HttpRequest, body: BatchIn):
    """One command for many SIMs (at most 50,000): each SIM's request waits its turn; follow the batch."""
    command = Command(body.command)
    _may(request, lifecycle.TABLE[command].permission)

    def run() -> HttpResponse:
        wanted = list(dict.fromkeys(body.iccids))
        if not wanted or len(wanted) > sim_services.BATCH_AT_MOST:
            return problem(request, 422, f"Give from 1 to {sim_services.BATCH_AT_MOST:,} ICCIDs.",
                           [{"field": "iccids", "message": "From 1 to 50,000 ICCIDs."}])
        found = _sims_by_iccid(wanted)
        if missing := [i for i in wanted if i not in found]:
            return problem(request, 422, f"{len(missing):,} of these ICCIDs are not SIMs of ours.",
                           [{"field": "iccids", "message": f"Not ours: {', '.join(missing[:20])}"}])
        batch = sim_services.batch_start(sim_ids=list(found.values()), command=command, actor=request.auth.owner,
                                         services=body.services)
        return _json(_batch(batch), 202, location=f"/api/v1/batches/{batch.pk}")

    return _write(request, run)


# --- orders and stock ----------------------------------------------------------------------------

class OrderOut(Schema):
    ref: str
    url: str
    state: str
    reason: str
    iccid: str | None
    created_at: datetime
    settled_at: datetime | None


class OrderPage(Paged):
    items: list[OrderOut]


class OrderIn(Schema):
    name: str
    company: str = ""
    address: str
    postcode: str
    contact_no: str


def _order(o: DespatchOrder) -> dict:
    return {"ref": o.order_ref, "url": f"/api/v1/orders/{o.order_ref}", "state": o.state, "reason": o.reason,
            "iccid": o.iccid or None, "created_at": o.created_at, "settled_at": o.settled_at}


class Stock(Schema):
    product_code: str
    quantity: int | None
    low: bool | None
    checked_at: datetime | None


orders = Router(tags=["orders and stock"])


@orders.get("/orders", response={200: OrderPage, **PROBLEMS})
def order_list(request: HttpRequest, state: OrderState | None = None, cursor: str = ""):
    """Despatch orders, newest first."""
    _may(request, "orders.view_despatchorder")
    page = order_selectors.order_page(state=state or "", cursor=cursor[:500])
    return {"items": [_order(o) for o in page.rows], "next": page.next or None}


@orders.get("/orders/{ref}", response={200: OrderOut, **PROBLEMS})
def order_detail(request: HttpRequest, ref: str):
    """One order: where it stands, and the SIM aql despatched on it."""
    _may(request, "orders.view_despatchorder")
    return _order(DespatchOrder.objects.get(order_ref=ref))


@orders.post("/orders", response={202: OrderOut, **WRITE_PROBLEMS})
def order_create(request: HttpRequest, body: OrderIn):
    """Despatch a SIM to this recipient: sent to aql at once, followed by the worker."""
    _may(request, "orders.place_order")

    def run() -> HttpResponse:
        order = order_services.order_despatch(actor=request.auth.owner, **body.model_dump())
        url = f"/api/v1/orders/{order.order_ref}"
        if order.state == OrderState.FAILED:  # aql refused it at once: nothing will be despatched
            return problem(request, 422, f"aql refused the order: {order.reason}", request=url)
        return _json(_order(order), 202, location=url)

    return _write(request, run)


@orders.get("/stock", response={200: list[Stock], **PROBLEMS})
def stock(request: HttpRequest):
    """SIMs in stock by product code, as aql last said."""
    _may(request, "orders.view_stocklevel")
    return [{"product_code": p.code, "quantity": p.quantity, "low": p.low, "checked_at": p.checked_at}
            for p in order_selectors.stock_latest()]


# --- webhooks ------------------------------------------------------------------------------------

class SubscriptionOut(Schema):
    id: int
    url: str
    target: str  # where the events are POSTed
    events: list[EventKind]
    active: bool
    paused_reason: str  # why it is paused (by whom, or after failing for how long)
    paused_at: datetime | None
    consecutive_failures: int
    last_delivery_at: datetime | None
    last_result: str
    created_at: datetime


class SubscriptionMade(SubscriptionOut):
    secret: str | None  # signs every delivery: shown this once (null in an Idempotency-Key's replay)


class SubscriptionPage(Paged):
    items: list[SubscriptionOut]


class SubscriptionIn(Schema):
    target: str  # https, at a public address
    events: list[str]
    secret: str | None = None  # made for you when not given


class SubscriptionChange(Schema):
    target: str | None = None
    events: list[str] | None = None
    active: bool | None = None  # false pauses it; true resumes it (what waits is tried at once)


def _target(run: Callable[[], HttpResponse]) -> Callable[[], HttpResponse]:
    """The webhook services call the receiver's URL `url`; this API calls it `target` (its `url` is
    the resource's own): a refusal about it names the field as sent."""
    def wrapped() -> HttpResponse:
        try:
            return run()
        except Refused as exc:
            raise Refused(exc.message, "target" if exc.field == "url" else exc.field) from None
    return wrapped


def _subscription(sub: Subscription) -> dict:
    return {"id": sub.pk, "url": f"/api/v1/webhooks/{sub.pk}", "target": sub.url, "events": sub.events,
            "active": sub.active, "paused_reason": sub.paused_reason, "paused_at": sub.paused_at,
            "consecutive_failures": sub.consecutive_failures, "last_delivery_at": sub.last_delivery_at,
            "last_result": sub.last_result, "created_at": sub.created_at}


webhooks = Router(tags=["webhooks"])


@webhooks.get("/webhooks", response={200: SubscriptionPage, **PROBLEMS})
def subscription_list(request: HttpRequest, cursor: str = ""):
    """Webhook subscriptions, newest first: paused ones say why."""
    _may(request, "hooks.view_subscription")
    page = seek(Subscription.objects.all(), ("-created_at", "-pk"), cursor[:500])
    return {"items": [_subscription(sub) for sub in page.rows], "next": page.next or None}


@webhooks.post("/webhooks", response={201: SubscriptionMade, **WRITE_PROBLEMS})
def subscription_add(request: HttpRequest, body: SubscriptionIn):
    """Subscribe a URL to events; the answer holds the secret that signs them, this once."""
    _may(request, "hooks.add_subscription")

    def run() -> HttpResponse:
        sub, secret = hook_services.subscription_add(url=body.target, events=body.events, secret=body.secret,
                                                     actor=request.auth.owner)
        return _json({**_subscription(sub), "secret": secret}, 201, location=f"/api/v1/webhooks/{sub.pk}")

    return _write(request, _target(run))


@webhooks.get("/webhooks/{subscription_id}", response={200: SubscriptionOut, **PROBLEMS})
def subscription_detail(request: HttpRequest, subscription_id: int):
    """One subscription: its state, its last delivery."""
    _may(request, "hooks.view_subscription")
    return _subscription(Subscription.objects.get(pk=subscription_id))


@webhooks.patch("/webhooks/{subscription_id}", response={200: SubscriptionOut, **WRITE_PROBLEMS})
def subscription_change(request: HttpRequest, subscription_id: int, body: SubscriptionChange):
    """Change where it sends or what it wants; pause or resume it."""
    _may(request, "hooks.change_subscription")

    def run() -> HttpResponse:
        sub = Subscription.objects.get(pk=subscription_id)
        owner = request.auth.owner
        if body.target is not None or body.events is not None:
            sub = hook_services.subscription_change(subscription_id=sub.pk, url=body.target, events=body.events,
                                                    actor=owner)
        if body.active is False and sub.active:
            sub = hook_services.subscription_pause(subscription_id=sub.pk, actor=owner)
        elif body.active and not sub.active:
            sub = hook_services.subscription_resume(subscription_id=sub.pk, actor=owner)
        return _json(_subscription(sub))

    return _write(request, _target(run))


@webhooks.delete("/webhooks/{subscription_id}", response={204: None, **WRITE_PROBLEMS})
def subscription_remove(request: HttpRequest, subscription_id: int):
    """Remove a subscription: deliveries not yet made are never made."""
    _may(request, "hooks.delete_subscription")

    def run() -> HttpResponse:
        hook_services.subscription_remove(subscription_id=Subscription.objects.get(pk=subscription_id).pk,
                                          actor=request.auth.owner)
        return HttpResponse(status=204)

    return _write(request, run)


for _router in (sims, journal, batches, orders, webhooks):
    api.add_router("/", _router)
