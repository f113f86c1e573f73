"""The `sim.replaced` webhook event: queued in the transaction that finishes a replacement, with ids
and ICCIDs only (README: payloads never carry a person's details nor a geographic number), and never
before the end nor for a replacement abandoned."""

import json

import pytest

from common.events import EventKind
from common.models import OutboxEvent
from sims import services, tasks
from sims.lifecycle import SimState
from sims.models_replacements import OLD_END, ReplacementState
from tests.conftest import IMEI, iccid
from tests.sims.test_replace import KEPT, new_sim, old_sim, worker  # noqa: F401 (old_sim: a fixture)
from tests.sims.test_uncertain import AQL_TAKES, due_now, fresh

pytestmark = pytest.mark.django_db


def told() -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(kind=EventKind.SIM_REPLACED).order_by("id")]


@pytest.mark.parametrize("state", [SimState.ACTIVE, SimState.SUSPENDED])
def test_sim_replaced_is_queued_once_when_the_last_step_succeeds_and_not_before(world, staff, old_sim, state):  # noqa: F811
    old = old_sim(state=state)
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    assert told() == []
    for _ in range(12):
        due_now()
        tasks.poll_pass()
        replacement.refresh_from_db()
        if replacement.state == ReplacementState.DONE:
            break
        assert told() == [], f"told before the end, at step {replacement.step}"
        world.fake.advance(AQL_TAKES)
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    new = new_sim()
    assert told() == [{"replacement_id": replacement.pk, "old_sim_id": old.pk, "old_iccid": old.iccid,
                       "new_sim_id": new.pk, "new_iccid": iccid(5), "url": f"/api/v1/sims/{iccid(5)}"}]
    event = OutboxEvent.objects.get(kind=EventKind.SIM_REPLACED)
    last = replacement.steps.order_by("-id").first().request
    assert event.created_at >= last.settled_at, "in the transaction that settles the last step"
    body = json.dumps(event.payload)
    for personal in ("Ada", "Lovelace", "1 Road", "LS1 1AA", "447700900123", IMEI, KEPT, KEPT[2:]):
        assert personal not in body, f"{personal!r} is a person's detail (README: none in a payload)"
    due_now()
    tasks.poll_pass()  # the worker again: told once only
    assert len(told()) == 1


def test_sim_replaced_is_not_queued_for_a_replacement_abandoned_at_its_last_step(world, staff, old_sim):  # noqa: F811
    old = old_sim()
    world.fake.force("deactivate", [63026], iccid=old.iccid)  # aql refuses the last step: the procedure stops
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    replacement = worker(world, replacement, until=(ReplacementState.STOPPED, ReplacementState.DONE))
    assert (replacement.state, replacement.step) == (ReplacementState.STOPPED, OLD_END)
    assert fresh(new_sim()).number.number == KEPT, "all but the termination done"
    services.replacement_abandon(replacement_id=replacement.pk, actor=staff)
    world.fake.advance(AQL_TAKES)
    due_now()
    tasks.poll_pass()
    replacement.refresh_from_db()
    assert replacement.state == ReplacementState.ABANDONED
    assert told() == []
