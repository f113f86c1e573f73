"""The `sim.replaced` webhook event: queued in the transaction that finishes a replacement, with ids
and ICCIDs only (README: payloads never carry a person's details nor a geographic number), and never
before the end nor for a replacement abandoned."""

import json

import pytest

from common.events import EventKind
from common.models import OutboxEvent
from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import GeographicNumber, Sim, SimEvent
from sims.models_replacements import OLD_END, ReplacementState
from tests.conftest import IMEI, iccid
from tests.sims.test_replace import KEPT, new_sim, old_sim, step_request, worker  # noqa: F401 (old_sim: a fixture)
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


def test_the_old_sims_termination_says_replaced_on_the_timeline_journal_csv_and_webhooks(world, staff, agent,
                                                                                         old_sim):  # noqa: F811
    old = old_sim()
    services.sim_deactivate(sim_id=old_sim_other(world).pk, actor=staff, reason="unpaid")  # staff's, not replaced
    replacement = worker(world, services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff),
                         until=(ReplacementState.DONE, ReplacementState.STOPPED))
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    end = step_request(replacement, OLD_END)
    assert (end.reason, end.reason_words) == ("replaced", None)
    assert {r.request.reason for r in replacement.steps.exclude(step=OLD_END)} == {None}  # only the stop says why
    assert SimEvent.objects.filter(sim=old, request=end, message__endswith="Why: replaced by a new SIM.").exists()
    assert "Why: replaced by a new SIM." in agent.get(f"/sims/{old.iccid}/").text  # the timeline
    page = agent.get("/requests/?who=all&reason=replaced").text
    assert old.iccid in page and iccid(2) not in page and "why: replaced by a new SIM" in page
    assert '<option value="replaced" selected>Replaced by a new SIM</option>' in page
    rows = b"".join(agent.get("/requests.csv?who=all&reason=replaced").streaming_content).decode().splitlines()
    assert len(rows) == 2 and old.iccid in rows[1] and rows[1].endswith(",replaced")
    settled = [e.payload for e in OutboxEvent.objects.filter(kind=EventKind.REQUEST_SETTLED)]
    assert [p["reason"] for p in settled if p["request_id"] == end.pk] == ["replaced"]
    (moved,) = [e.payload for e in OutboxEvent.objects.filter(kind=EventKind.SIM_STATE_CHANGED)
                if e.payload["iccid"] == old.iccid and e.payload["state"] == "terminated"]
    assert (moved["reason"], moved["request_id"]) == ("replaced", end.pk)


def old_sim_other(world) -> Sim:
    """Another active SIM, terminated by staff alongside: the journal's filter must tell the two apart."""
    sim = Sim.objects.get(iccid=iccid(2))
    sim.state, sim.number = SimState.ACTIVE, GeographicNumber.objects.get(number="44113000002")
    sim.save()
    world.fake.put_sim(sim.iccid, state="active", geo_nos="44113000002")
    return sim
