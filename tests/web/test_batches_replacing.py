"""A batch that takes in a SIM being replaced: its row is queued with the others, but when its turn
comes it is not sent (the replacement holds the SIM: sims.services.requesters.replacement_refusal),
and the batch's page, its CSV and the API's request say why in words, naming the replacement; the
other SIMs of the batch go, and the replacement goes on."""

import csv
import io

import pytest

from sims import services, tasks
from sims.lifecycle import RequestState, SimState
from sims.models import Batch, GatewayRequest, Replacement, Sim, Subscriber
from sims.models_replacements import ReplacementState
from tests.api.conftest import as_role  # noqa: F401 (a fixture: an API key of a role)
from tests.conftest import IMEI, iccid
from tests.sims.test_uncertain import AQL_TAKES, due_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def replacing(world, make_sim, staff) -> Replacement:
    """SIMs 1 to 3 active; SIM 1 being replaced by SIM 5 (its first step waiting for the worker)."""
    old = make_sim(1, number="44113000001")
    make_sim(2, number="44113000002")
    make_sim(3, number="44113000003")
    old.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    old.imei = IMEI
    old.save()
    return services.sim_replace(sim_id=old.pk, new_sim_id=Sim.objects.get(iccid=iccid(5)).pk, actor=staff)


def csv_rows(agent, batch: Batch) -> dict[str, list[str]]:
    response = agent.get(f"/batches/{batch.pk}/outcomes.csv")
    return {row[0]: row for row in csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))}


@pytest.mark.parametrize("command, form, sent", [
    ("suspend", {"reason": "unpaid"}, "suspend"),
    ("addservice", {"services": ["int_calling"]}, "addservice"),
])
def test_a_batch_row_for_a_sim_being_replaced_is_not_sent_and_says_which_replacement(
        agent, as_role, world, replacing, command, form, sent):  # noqa: F811 (the fixture imported above)
    three = list(Sim.objects.filter(iccid__in=[iccid(1), iccid(2), iccid(3)]).order_by("iccid"))
    agent.post("/batches/new/", {"command": command, **form, "scope": "ticked", "sim": [s.pk for s in three],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    assert batch.requests.filter(state=RequestState.TO_SEND).count() == 3  # queued: its turn decides

    tasks.poll_pass()  # the worker sends the batch's rows and the replacement's step
    assert world.fake.count(sent) == 2, "only the two SIMs not being replaced"
    held = batch.requests.get(sim__iccid=iccid(1))
    why = (f"This SIM is part of replacement {replacing.pk} (SIM {iccid(1)} by {iccid(5)}): no other command "
           "until it is done or abandoned.")
    assert (held.state, held.why_not_sent) == (RequestState.NOT_SENT, why)
    assert set(batch.requests.exclude(pk=held.pk).values_list("state", flat=True)) == {RequestState.PENDING}
    assert Sim.objects.get(iccid=iccid(1)).state == SimState.ACTIVE

    label = held.get_command_display()
    page = agent.get(f"/batches/{batch.pk}/").text
    assert f"{label} not done: {why}" in page and "Did not go through</dt><dd>1" in page
    rows = csv_rows(agent, batch)
    assert rows[iccid(1)][2:4] == ["Not done", f"{label} not done: {why}"]
    assert {rows[i][2] for i in (iccid(2), iccid(3))} == {"In progress"}
    assert as_role("Observer").get(f"/api/v1/requests/{held.pk}").json()["outcome"] == f"{label} not done: {why}"
    assert f"{label} not sent: {why}" in agent.get(f"/sims/{iccid(1)}/").text  # its timeline too

    replacing.refresh_from_db()  # the replacement was not disturbed: its step went
    assert replacing.state == ReplacementState.RUNNING and world.fake.count("activate") == 1


def test_a_batch_row_waits_for_a_stopped_replacement_too_until_it_is_abandoned(agent, world, staff, replacing):
    world.fake.faults.fail_rate = 1.0  # aql refuses the replacement's first step: it stops, holding the SIM
    for _ in range(3):
        due_now()
        tasks.poll_pass()
        world.fake.advance(AQL_TAKES)
    world.fake.faults.fail_rate = 0.0
    assert Replacement.objects.get().state == ReplacementState.STOPPED
    first = services.batch_start(sim_ids=[Sim.objects.get(iccid=iccid(1)).pk], command="suspend", actor=staff,
                                 reason="unpaid")
    tasks.poll_pass()
    assert f"part of replacement {replacing.pk}" in first.requests.get().why_not_sent
    services.replacement_abandon(replacement_id=replacing.pk, actor=staff)
    second = services.batch_start(sim_ids=[Sim.objects.get(iccid=iccid(1)).pk], command="suspend", actor=staff,
                                  reason="unpaid")
    tasks.poll_pass()
    assert second.requests.get().state == RequestState.PENDING and world.fake.count("suspend") == 1
    assert GatewayRequest.objects.filter(batch=first, state=RequestState.NOT_SENT).count() == 1
