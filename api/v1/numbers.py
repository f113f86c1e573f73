"""The pool of geographic numbers (`/numbers`): listed, searched, added."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from api.answers import Paged, answer
from api.auth import may
from api.idempotency import write
from api.problems import PROBLEMS, WRITE_PROBLEMS
from api.v1.sims import Added
from sims import selectors
from sims import services as sim_services


class NumbersIn(Schema):
    numbers: list[str] = Field(max_length=50_000)  # UK landline numbers, written any usual way


class NumberOut(Schema):
    number: str
    sim: str | None
    rests_until: datetime | None  # freed from a subscriber's SIM: no one new may have it before then


class NumberPage(Paged):
    items: list[NumberOut]


numbers = Router(tags=["SIMs"])


@numbers.get("/numbers", response={200: NumberPage, **PROBLEMS})
def number_list(request: HttpRequest, show: Literal["available", "assigned", "resting"] | None = None, q: str = "",
                cursor: str = ""):
    """The pool of geographic numbers: free ones, those on a SIM, or those resting (freed from a
    subscriber's SIM, given to no one new until `rests_until`)."""
    may(request, "sims.view_geographicnumber")
    page = selectors.number_page(show=show or "", search=q[:30], cursor=cursor[:500])
    return {"items": [{"number": n.number, "sim": n.sim.iccid if getattr(n, "sim", None) else None,
                       "rests_until": n.rests_until} for n in page.rows], "next": page.next or None}


@numbers.post("/numbers", response={201: Added, **WRITE_PROBLEMS})
def number_add(request: HttpRequest, body: NumbersIn):
    """Add numbers aql allocated to our account to the pool: all or nothing."""
    may(request, "sims.add_geographicnumber")
    return write(request, lambda: answer({"added": len(sim_services.number_add(numbers=body.numbers,
                                                                                 actor=request.auth.owner))}, 201))
