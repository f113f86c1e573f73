"""The gap in service a replacement gives, measured against the simulator from aql's wire log: how long
the kept number is on no SIM, and that the step which puts it back on one goes in the same worker pass
as what frees it (a regression that leaves it for the next pass, minutes later, fails here)."""

import pytest
from django.conf import settings

from aql.fake.state import Call
from sims import services, tasks
from sims.lifecycle import RequestState, SimState
from sims.models import GatewayRequest, Replacement
from sims.models_replacements import NEW_ON, OLD_END, ReplacementState
from tests.conftest import iccid
from tests.sims.test_replace import KEPT, assert_number_safe, new_sim, old_sim, step_request  # noqa: F401
from tests.sims.test_uncertain import AQL_TAKES, due_now

pytestmark = pytest.mark.django_db

Wire = list[tuple[int, Call]]  # each call aql received, with the worker pass it came in


def passes(world, replacement: Replacement, most: int = 12) -> tuple[Replacement, Wire, dict[int, float]]:
    """The worker, pass after pass (aql finishing each two-step command in between, as `run` does): the
    procedure, aql's wire log of the commands it received, each with the number of the pass that sent
    it, and how long after it was journalled each two-step request was first to be checked."""
    wire: Wire = []
    first_look: dict[int, float] = {}
    for n in range(most):
        due_now()  # every look the worker has planned is made now: the passes stand for the minutes between
        tasks.poll_pass()
        wire += [(n, call) for call in world.fake.calls[len(wire):]]
        for request in GatewayRequest.objects.filter(state=RequestState.PENDING).exclude(pk__in=first_look):
            first_look[request.pk] = (request.next_poll_at - request.created_at).total_seconds()
        assert_number_safe(world)
        replacement.refresh_from_db()
        if replacement.state != ReplacementState.RUNNING:
            break
        world.fake.advance(AQL_TAKES)
    return replacement, [(n, call) for n, call in wire if call.endpoint == "usim"], first_look


def at(wire: Wire, command: str, **params: str) -> int:
    """Where in the wire log the one call of `command` with these parameters is."""
    (found,) = [i for i, (_, call) in enumerate(wire)
                if call.command == command and params.items() <= call.params.items()]
    return found


def test_the_number_is_off_a_sim_only_between_two_one_step_commands_sent_in_one_worker_pass(world, staff, old_sim):  # noqa: F811
    old = old_sim()
    replacement, wire, _ = passes(world, services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff))
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    off = at(wire, "changegeo", iccid=old.iccid, geo_nos=KEPT)  # the old SIM lets the kept number go
    on = at(wire, "changegeo", iccid=iccid(5), new_geo_nos=KEPT)  # the new SIM takes it
    gap = wire[on][1].at - wire[off][1].at
    said = f"the kept number was on no SIM for {gap:.3f} s (passes {wire[off][0]} and {wire[on][0]})"
    print(said)
    assert wire[on][0] == wire[off][0], said  # the same worker pass...
    assert on == off + 1, said  # ...the very next call to aql, nothing between (not even a read)
    assert 0 <= gap < 1, said


def test_a_suspended_sims_number_reaches_the_new_sim_in_the_pass_that_learns_the_termination(world, staff, old_sim):  # noqa: F811
    """The old SIM cannot let its number go (changegeo needs it active), so its termination frees it: the
    number is on no SIM from aql's carrying out the termination to the new SIM's changegeo. We learn of
    it at the termination's first checkstatus, 30 minutes after it is sent; the move goes at once."""
    old = old_sim(state=SimState.SUSPENDED)
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    replacement, wire, first_look = passes(world, replacement)
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    end = step_request(replacement, OLD_END)
    sent = at(wire, "deactivate", iccid=old.iccid)
    settled = at(wire, "checkstatus", id=str(end.aql_id))  # aql's confirmation: the one look, by design
    on = at(wire, "changegeo", iccid=iccid(5), new_geo_nos=KEPT)
    gap = wire[on][1].at - wire[settled][1].at
    wait = first_look[end.pk]
    said = (f"the kept number moved {gap:.3f} s after aql confirmed the termination (checkstatus in pass "
            f"{wire[settled][0]}, changegeo in pass {wire[on][0]}), which was first checked {wait:.0f} s after "
            "it was sent")
    print(said)
    assert wire[sent][0] < wire[settled][0], "a termination is two-step: confirmed in a later pass"
    assert wire[on][0] == wire[settled][0], said  # the pass that learns it, not the next
    assert on == settled + 1, said  # the very next call to aql
    assert 0 <= gap < 1, said
    assert abs(wait - settings.AQL_FIRST_POLL_DELAY) < 5, said  # the spec's 30 minutes before the first look
    moved = step_request(replacement, NEW_ON)
    assert moved.created_at >= end.settled_at, "journalled in the transaction that settles the termination"
