"""The registry of commands (`lifecycle.TABLE`): every command reachable from every interface its row
names, and every journalled command sendable by the worker from what the journal holds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.v1 import api
from common.errors import Refused
from sims import services
from sims.lifecycle import TABLE, Command, RequestState, SimState
from sims.models import GatewayRequest, GeographicNumber, ScheduledAction, Sim, Subscriber
from tests.conftest import IMEI, iccid, manage

NUMBER, NEW_NUMBER = "44113000001", "44113000002"
# What a command needs on the SIM beforehand, and what staff give besides the ICCID on the command line.
READY: dict[Command, tuple[str, str | None, dict, tuple[str, ...]]] = {
    Command.ACTIVATE: (SimState.UNUSED, None, {"imei": IMEI, "geo_nos": NEW_NUMBER},
                       ("--imei", IMEI, "--number", NEW_NUMBER, "--name", "Ada Lovelace", "--address", "1 Road, Leeds",
                        "--postcode", "LS1 1AA", "--contact", "07700 900123")),
    Command.SUSPEND: (SimState.ACTIVE, NUMBER, {"geo_nos": NUMBER}, ("--reason", "lost")),
    Command.REACTIVATE: (SimState.SUSPENDED, NUMBER, {"geo_nos": NUMBER}, ()),
    Command.DEACTIVATE: (SimState.ACTIVE, NUMBER, {"geo_nos": NUMBER}, ("--reason", "unpaid")),
    Command.ADDSERVICE: (SimState.ACTIVE, NUMBER, {"geo_nos": NUMBER, "services": ["int_roaming"]}, ("int_roaming",)),
    Command.REMOVESERVICE: (SimState.ACTIVE, NUMBER, {"geo_nos": NUMBER, "services": ["mo_sms"]}, ("mo_sms",)),
    Command.ASSIGNGEO: (SimState.ACTIVE, None, {"geo_nos": NEW_NUMBER}, (NEW_NUMBER,)),
    Command.CHANGEGEO: (SimState.ACTIVE, NUMBER, {"geo_nos": NUMBER, "new_geo_nos": NEW_NUMBER}, (NEW_NUMBER,)),
    Command.QUERYICCID: (SimState.ACTIVE, NUMBER, {}, ()),
}


def _ready_sim(make_sim, command: Command) -> Sim:
    state, number, _, _ = READY[command]
    return Sim.objects.get(iccid=iccid(1)) if state == SimState.UNUSED else make_sim(1, state, number)


def _answered(request: GatewayRequest) -> bool:
    """aql took it: a two-step command's request id, a one-step command's result."""
    return request.state == (RequestState.PENDING if Command(request.command).two_step else RequestState.SUCCESS)


def test_every_command_of_the_registry_has_a_row_here_and_sane_names():
    assert set(READY) == set(TABLE) == set(Command)
    for command, row in TABLE.items():
        assert Command(row.api) == command  # the API's name is the journal's
        assert row.allowed_from and row.permission.startswith("sims.")
    # a command line word shared by two rows is one permission
    for word in {row.cli.split()[0] for row in TABLE.values()}:
        assert len({row.permission for row in TABLE.values() if row.cli.split()[0] == word}) == 1


@pytest.mark.parametrize("command", list(Command))
def test_every_journalled_command_is_sent_by_the_worker_from_its_journal_row(make_sim, command):
    sim = _ready_sim(make_sim, command)
    _, _, params, _ = READY[command]
    request = GatewayRequest.objects.create(sim=sim, command=command, params=params, actor_name="system",
                                            state=RequestState.TO_SEND, state_before=sim.state,
                                            next_poll_at=timezone.now())
    if TABLE[command].takes_number:  # held for it when it was journalled, as the services hold it
        GeographicNumber.objects.filter(number=NEW_NUMBER).update(held_by=request)
    if TABLE[command].brings_subscriber:  # recorded with it when it was queued, as a file's row is
        sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road, Leeds", postcode="LS1 1AA",
                                                   contact_number="447700900123")
        sim.save()
    sent = services.request_poll(request_id=request.pk)
    assert _answered(sent), (sent.state, sent.reply)


@pytest.mark.parametrize("command", list(Command))
def test_every_command_runs_from_the_command_line_by_its_registry_words(make_sim, staff, command):
    sim = _ready_sim(make_sim, command)
    words, (_, _, _, given) = TABLE[command].cli.split(), READY[command]
    status, out = manage("sim", "--user", "agent", words[0], sim.iccid, *words[1:], *given)
    assert status == 0, out
    assert _answered(GatewayRequest.objects.get(sim=sim, command=command))


def _choices(schema: str) -> list[str]:
    return api.get_openapi_schema()["components"]["schemas"][schema]["properties"]["command"]["enum"]


@pytest.mark.parametrize("command", list(Command))
def test_a_batch_takes_a_command_when_its_row_says_so_in_the_api_and_the_service(make_sim, staff, command):
    sim = _ready_sim(make_sim, command)
    assert (TABLE[command].api in _choices("BatchIn")) == TABLE[command].batch
    services_given = READY[command][2].get("services")
    if not TABLE[command].batch:
        with pytest.raises(Refused):
            services.batch_start(sim_ids=[sim.pk], command=command, actor=staff, services=services_given)
        return
    batch = services.batch_start(sim_ids=[sim.pk], command=command, actor=staff, services=services_given)
    request = batch.requests.get()
    assert request.state == RequestState.TO_SEND
    assert _answered(services.request_poll(request_id=request.pk))


@pytest.mark.parametrize("command", list(Command))
def test_a_schedule_takes_a_command_when_its_row_says_so_in_the_api_and_the_service(make_sim, staff, command):
    sim = _ready_sim(make_sim, command)
    assert (TABLE[command].api in _choices("ScheduleIn")) == TABLE[command].schedule
    due = timezone.now() + timedelta(minutes=5)
    if not TABLE[command].schedule:
        with pytest.raises(Refused):
            services.schedule_add(sim_ids=[sim.pk], command=command, due_at=due, actor=staff)
        return
    [action_id] = services.schedule_add(sim_ids=[sim.pk], command=command, due_at=due, actor=staff)
    ScheduledAction.objects.filter(pk=action_id).update(due_at=timezone.now())
    request = services.schedule_run(action_id=action_id)
    assert _answered(services.request_poll(request_id=request.pk))
