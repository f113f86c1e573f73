"""The pool of geographic numbers (`/numbers`): listed, searched, added; a resting number's rest
ended early (a Supervisor)."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from api.answers import Paged, answer
from api.auth import may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS
from api.v1.sims import Added
from common import validators
from sims import selectors
from sims import services as sim_services
from sims.models import GeographicNumber


class NumbersIn(Schema):
    numbers: list[str] = Field(max_length=50_000)  # UK landline numbers, written any usual way


class NumberOut(Schema):
    number: str
    sim: str | None
    rests_until: datetime | None  # freed from a subscriber's SIM: no one new may have it before then


class NumberPage(Paged):
    items: list[NumberOut]


class RestEndIn(Schema):
    reason: str = Field(default="", description="Why the rest ends early (at most 500 characters): required; "
                                                "kept in the audit trail with who ended it")


def _number(n: GeographicNumber) -> dict:
    return {"number": n.number, "sim": n.sim.iccid if getattr(n, "sim", None) else None, "rests_until": n.rests_until}


numbers = Router(tags=["SIMs"])


@numbers.get("/numbers", response={200: NumberPage, **PROBLEMS})
def number_list(request: HttpRequest, show: Literal["available", "assigned", "resting"] | None = None, q: str = "",
                cursor: str = ""):
    """The pool of geographic numbers: free ones, those on a SIM, or those resting (freed from a
    subscriber's SIM, given to no one new until `rests_until`)."""
    may(request, "sims.view_geographicnumber")
    page = selectors.number_page(show=show or "", search=q[:30], cursor=cursor[:500])
    return {"items": [_number(n) for n in page.rows], "next": page.next or None}


@numbers.post("/numbers", response={201: Added, **WRITE_PROBLEMS})
def number_add(request: HttpRequest, body: NumbersIn):
    """Add numbers aql allocated to our account to the pool: all or nothing."""
    may(request, "sims.add_geographicnumber")
    return write(request, lambda: answer({"added": len(sim_services.number_add(numbers=body.numbers,
                                                                                 actor=request.auth.owner))}, 201))


@numbers.post("/numbers/{number}/end-rest", response={200: NumberOut, **WRITE_PROBLEMS})
def number_rest_end(request: HttpRequest, number: str, body: RestEndIn):
    """End a resting number's rest early, saying why (`reason`, required): anyone may have it at once.
    Who ended it, when, the rest it cut short and why go in the audit trail. A number not resting is
    refused (422, `number-not-resting`); one not in our pool is 404. The number as the pool shows it."""
    may(request, "sims.add_geographicnumber")  # who manages the pool: as on the pool page and the CLI

    def run() -> HttpResponse:
        typed = validators.clean_all(number=(validators.clean_geographic_number, number))["number"]
        GeographicNumber.objects.get(number=typed)  # not ours: 404, as any record not on our account
        geo = sim_services.number_rest_end(number=typed, actor=request.auth.owner, reason=body.reason)
        return answer(_number(GeographicNumber.objects.select_related("sim").get(pk=geo.pk)))

    return write(request, run)
