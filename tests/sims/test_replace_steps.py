"""Each step of each plan (the old SIM active, suspended, or terminated with its number resting for its
subscriber), its reply lost, then refused, against the simulator: a lost reply makes the procedure wait
and settle by evidence, sending nothing twice; a refusal stops it with words, the number still held,
and a Supervisor's resume finishes it."""

import pytest

from ops import gateway
from sims import services, tasks
from sims.lifecycle import RequestState, SimState
from sims.models import Replacement, Sim
from sims.models_replacements import ACTIVATE, ADD, KEPT_ON, NEW_ON, OLD_END, OLD_OFF, PLANS, REMOVE, ReplacementState
from sims.reasons import StopReason
from sims.selectors_replacements import replacement_said
from tests.conftest import iccid
from tests.sims.test_replace import assert_number_safe, new_sim, old_sim, step_request, worker  # noqa: F401
from tests.sims.test_uncertain import AQL_TAKES, due_now, fresh

pytestmark = pytest.mark.django_db

# Roaming to add and incoming SMS to remove (activation gives calls and texts): every step of every
# plan has something to send.
MIXED = ("mo_voice", "mt_voice", "mo_sms", "int_roaming")
# What each step sends, and to which SIM (the old, 1, or the new, 5).
SENT = {ACTIVATE: ("activate", 5), KEPT_ON: ("activate", 5), ADD: ("addservice", 5), REMOVE: ("removeservice", 5),
        OLD_OFF: ("changegeo", 1), NEW_ON: ("changegeo", 5), OLD_END: ("deactivate", 1)}
# What each plan sends, once each when nothing goes wrong.
ONCE_EACH = {
    Replacement.ACTIVE: {"activate": 1, "addservice": 1, "removeservice": 1, "changegeo": 2, "deactivate": 1},
    Replacement.SUSPENDED: {"activate": 1, "addservice": 1, "removeservice": 1, "changegeo": 1, "deactivate": 1},
    Replacement.TERMINATED: {"activate": 1, "addservice": 1, "removeservice": 1, "changegeo": 0, "deactivate": 0},
}
EACH_STEP = [pytest.param(plan, step, id=f"{plan}-{step}") for plan, steps in PLANS.items() for step in steps]


@pytest.fixture
def old(world, staff, old_sim):  # noqa: F811 (the fixture imported above)
    """The old SIM as the plan starts from: active, suspended, or terminated by the worker (its number
    KEPT resting for its subscriber, who had MIXED before)."""
    def make(plan: str) -> Sim:
        if plan != Replacement.TERMINATED:
            return old_sim(state=plan, services=MIXED)
        sim = old_sim(services=MIXED)
        services.sim_deactivate(sim_id=sim.pk, actor=staff, reason=StopReason.CUSTOMER_REQUEST)
        world.fake.advance(AQL_TAKES)
        due_now()
        tasks.poll_pass()
        assert fresh(sim).state == SimState.TERMINATED
        return sim
    return make


def sent(world) -> dict[str, int]:
    return {command: world.fake.count(command) for command in ONCE_EACH[Replacement.ACTIVE]}


def since(world, before: dict[str, int]) -> dict[str, int]:
    return {command: n - before[command] for command, n in sent(world).items()}


@pytest.mark.parametrize(("plan", "step"), EACH_STEP)
def test_a_lost_reply_at_each_step_waits_then_settles_and_finishes_sending_nothing_twice(world, staff, old, settings,
                                                                                          plan, step):
    sim = old(plan)
    command, n = SENT[step]
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_seconds = 1.0
    world.fake.lose_reply(command, iccid=iccid(n))
    before = sent(world)
    replacement = services.sim_replace(sim_id=sim.pk, new_sim_id=new_sim().pk, actor=staff)
    assert replacement.plan == plan
    replacement = worker(world, replacement, until=(ReplacementState.WAITING, ReplacementState.DONE,
                                                    ReplacementState.STOPPED))
    assert (replacement.state, replacement.step) == (ReplacementState.WAITING, step)
    assert "nothing more is sent until the outcome is known" in replacement_said(replacement)
    lost = step_request(replacement, step)
    assert lost.state == RequestState.UNKNOWN
    replacement = worker(world, replacement, until=(ReplacementState.DONE, ReplacementState.STOPPED))
    if replacement.state == ReplacementState.WAITING:  # aql's query cannot show it (SMS): staff settle by evidence
        lost.refresh_from_db()
        assert lost.needs_attention
        services.sim_query(sim_id=lost.sim_id, actor=staff)
        services.request_resolve(request_id=lost.pk, happened=True, actor=staff)
        replacement = worker(world, replacement, until=(ReplacementState.DONE, ReplacementState.STOPPED))
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    assert since(world, before) == ONCE_EACH[plan]
    assert [s.step for s in replacement.steps.all()] == list(PLANS[plan]), "each step journalled once"


@pytest.mark.parametrize(("plan", "step"), EACH_STEP)
def test_a_refusal_at_each_step_stops_with_words_holding_the_number_and_resume_finishes(world, staff, old, plan, step):
    sim = old(plan)
    command, n = SENT[step]
    world.fake.force(command, [63026], iccid=iccid(n))  # aql: not in a state for it; nothing done
    before = sent(world)
    replacement = services.sim_replace(sim_id=sim.pk, new_sim_id=new_sim().pk, actor=staff)
    assert replacement.plan == plan
    replacement = worker(world, replacement, until=(ReplacementState.STOPPED, ReplacementState.DONE))
    assert (replacement.state, replacement.step) == (ReplacementState.STOPPED, step)
    assert "63026" in replacement.stopped_why and "resume" in replacement.stopped_why
    assert replacement.holding
    assert_number_safe(world)
    services.replacement_resume(replacement_id=replacement.pk, actor=staff)
    replacement = worker(world, replacement, until=(ReplacementState.STOPPED, ReplacementState.DONE))
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    expected = ONCE_EACH[plan] | {command: ONCE_EACH[plan][command] + 1}  # the refused one sent again, once
    assert since(world, before) == expected
