"""A world for provisioning tests: our database and the simulator agreeing on a few SIMs."""

from collections.abc import Callable

import pytest

from aql.usim import SERVICES
from sims.lifecycle import SimState
from sims.models import GeographicNumber, Sim
from sims.services import number_add, sim_add

FIRST_ICCID = 1111111111000000001  # the simulator account's first ICCID
POOL = [str(44113000000 + n) for n in range(20)]  # allocated to the simulator's account too
IMEI = "490154203237518"


def iccid(n: int) -> str:
    return str(FIRST_ICCID + n)


@pytest.fixture
def world(aql_settings, db, settings):
    """The simulator on our account, with its numbers in our pool and ten unused SIMs recorded."""
    # Worker passes run their steps in this thread, inside the test's transaction (the
    # threaded path runs in the end-to-end cluster test).
    settings.AQL_MAX_CONCURRENCY = 1
    number_add(numbers=POOL)
    sim_add(iccids=[iccid(n) for n in range(10)])
    return aql_settings


@pytest.fixture
def make_sim(world) -> Callable[..., Sim]:
    """A SIM already in some state, alike in our records and at the simulator."""

    def make(n: int, state: str = SimState.ACTIVE, number: str | None = None,
             services: tuple[str, ...] = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")) -> Sim:
        sim = Sim.objects.get(iccid=iccid(n))
        sim.state = state
        if number:
            sim.number = GeographicNumber.objects.get(number=number)
        for name in SERVICES:
            setattr(sim, name, name in services)
        sim.save()
        world.fake.put_sim(sim.iccid, state=state, geo_nos=number, services=services)
        return sim

    return make


def activation(**changes: str) -> dict[str, str]:
    """A valid activation form, as staff would type it."""
    fields = {"imei": IMEI, "number": "44113000005", "name": "Ada Lovelace",
              "address": "11-15 Hunslet Road\nLeeds", "postcode": "ls10 1jq", "contact_number": "0113 320 3040"}
    return fields | changes
