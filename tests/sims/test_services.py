"""Provisioning services against the simulator over loopback: every command, every refusal."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from common.errors import Refused
from sims import selectors, services
from sims.lifecycle import Command, SimState
from sims.models import GatewayRequest, GeographicNumber, RequestState, Sim, SimEvent, SimStateCount, Subscriber
from tests.conftest import PASSWORD, activation, iccid

pytestmark = pytest.mark.django_db


def settle(world, request: GatewayRequest) -> GatewayRequest:
    """Let aql finish the request, then take the worker's step."""
    world.fake.advance(world.fake.faults.settle_after)
    return services.request_poll(request_id=request.pk)


def fresh(sim: Sim) -> Sim:
    return Sim.objects.select_related("number", "subscriber").get(pk=sim.pk)


def services_on(sim: Sim) -> list[str]:
    return [name for name, on in sim.services.items() if on]


# --- activate ---------------------------------------------------------------------------------

def test_activate_is_journalled_sent_once_and_pending_until_aql_succeeds(world, staff):
    sim = Sim.objects.get(iccid=iccid(0))
    request = services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    assert (request.state, request.aql_id, request.actor) == (RequestState.PENDING, 117234, staff)
    assert world.fake.count("activate") == 1
    sim = fresh(sim)
    assert sim.state == SimState.PENDING and sim.number is None
    assert GeographicNumber.objects.get(number="44113000005").held_by == request
    assert (sim.subscriber.name, sim.subscriber.postcode, sim.subscriber.contact_number) == (
        "Ada Lovelace", "LS10 1JQ", "441133203040")

    request = settle(world, request)
    sim = fresh(sim)
    assert request.state == RequestState.SUCCESS and request.settled_at
    assert (sim.state, sim.number.number, sim.imei) == (SimState.ACTIVE, "44113000005", "490154203237518")
    assert services_on(sim) == ["mo_voice", "mt_voice", "mo_sms", "mt_sms"]
    assert list(sim.events.values_list("action", flat=True)) == ["succeeded", "sent", "sending"]
    success = sim.events.first()
    assert (success.before["state"], success.after["state"], success.actor) == ("pending", "active", staff)


def test_activate_with_bad_input_names_every_field_and_sends_nothing(world, staff):
    sim = Sim.objects.get(iccid=iccid(0))
    bad = activation(imei="123", postcode="nowhere", name="R2D2", contact_number="12")
    with pytest.raises(ValidationError) as caught:
        services.sim_activate(sim_id=sim.pk, actor=staff, **bad)
    assert set(caught.value.message_dict) == {"imei", "postcode", "name", "contact_number"}
    assert world.fake.count("activate") == 0
    assert not GatewayRequest.objects.exists() and fresh(sim).state == SimState.UNUSED


def test_activate_with_a_number_outside_the_pool_is_refused_before_sending(world, staff):
    sim = Sim.objects.get(iccid=iccid(0))
    with pytest.raises(Refused) as caught:
        services.sim_activate(sim_id=sim.pk, actor=staff, **activation(number="441134960000"))
    assert caught.value.field == "number"
    assert world.fake.count("activate") == 0 and not GatewayRequest.objects.exists()


def test_activate_refused_by_aql_keeps_every_code_and_puts_the_sim_back(world, staff):
    world.fake.put_sim(iccid(9), state="active", geo_nos="44113000005")  # aql knows better than our pool
    sim = Sim.objects.get(iccid=iccid(0))
    request = services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    assert (request.state, request.codes) == (RequestState.REJECTED, [63204])
    sim = fresh(sim)
    assert (sim.state, sim.subscriber, sim.imei) == (SimState.UNUSED, None, "")
    assert not Subscriber.objects.exists()
    assert GeographicNumber.objects.get(number="44113000005").held_by is None
    assert "That geographic number is already in use by another SIM. (aql code 63204)" in sim.events.first().message


def test_activate_that_the_network_fails_later_frees_the_number(world, staff):
    world.fake.faults.fail_rate = 1.0
    sim = Sim.objects.get(iccid=iccid(0))
    request = settle(world, services.sim_activate(sim_id=sim.pk, actor=staff, **activation()))
    assert request.state == RequestState.FAILED
    assert fresh(sim).state == SimState.UNUSED
    assert GeographicNumber.objects.get(number="44113000005").held_by is None
    assert fresh(sim).events.first().action == "failed"


def test_a_timeout_leaves_the_request_unknown_and_never_resends(world, staff, settings):
    from ops import gateway

    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0
    sim = Sim.objects.get(iccid=iccid(0))
    request = services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    assert request.state == RequestState.UNKNOWN and "in time" in request.reply
    assert fresh(sim).state == SimState.PENDING  # aql did act: only queryiccid can tell
    with pytest.raises(Refused):
        services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    assert world.fake.count("activate") == 1


# --- the other two-step commands -------------------------------------------------------------

def test_suspend_then_reactivate(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    assert settle(world, services.sim_suspend(sim_id=sim.pk, actor=staff)).state == RequestState.SUCCESS
    assert fresh(sim).state == SimState.SUSPENDED
    assert settle(world, services.sim_reactivate(sim_id=sim.pk, actor=staff)).state == RequestState.SUCCESS
    assert fresh(sim).state == SimState.ACTIVE
    assert world.fake.sim(sim.iccid).state == "active"


def test_deactivate_terminates_and_returns_the_number_to_the_pool(world, staff, make_sim):
    sim = make_sim(1, state=SimState.SUSPENDED, number="44113000001")
    request = settle(world, services.sim_deactivate(sim_id=sim.pk, actor=staff))
    assert request.params == {"geo_nos": "44113000001"}
    sim = fresh(sim)
    assert (sim.state, sim.number, services_on(sim)) == (SimState.TERMINATED, None, [])
    assert GeographicNumber.objects.filter(number="44113000001", sim__isnull=True).exists()


def test_add_and_remove_services(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    request = services.sim_services_add(sim_id=sim.pk, actor=staff, services=["int_roaming", "int_calling"])
    assert fresh(sim).int_roaming is False  # nothing changes until aql says so
    settle(world, request)
    assert (fresh(sim).int_roaming, fresh(sim).int_calling) == (True, True)
    settle(world, services.sim_services_remove(sim_id=sim.pk, actor=staff, services=["int_roaming"]))
    assert services_on(fresh(sim)) == ["int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms"]


def test_a_service_aql_does_not_offer_yet_is_refused_with_63032(world, staff, make_sim):
    world.fake.faults.unsupported_services = frozenset({"int_roaming"})
    sim = make_sim(1, number="44113000001")
    request = services.sim_services_add(sim_id=sim.pk, actor=staff, services=["int_roaming"])
    assert (request.state, request.codes) == (RequestState.REJECTED, [63032])


def test_unknown_services_are_refused_before_sending(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    with pytest.raises(ValidationError):
        services.sim_services_add(sim_id=sim.pk, actor=staff, services=["teleport"])
    with pytest.raises(ValidationError):
        services.sim_services_add(sim_id=sim.pk, actor=staff, services=[])
    assert world.fake.count("addservice") == 0


def test_services_by_end_state_send_only_what_changes(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")  # voice and SMS both ways
    with pytest.raises(Refused, match="Nothing to change"):
        services.sim_services_set(sim_id=sim.pk, actor=staff, services=["mo_voice", "mt_sms", "mt_voice", "mo_sms"])
    assert world.fake.count("addservice") + world.fake.count("removeservice") == 0

    wanted = ["mo_voice", "mt_voice", "mo_sms", "mt_sms", "int_roaming"]
    request = settle(world, services.sim_services_set(sim_id=sim.pk, actor=staff, services=wanted))
    assert (request.command, request.params["services"]) == ("addservice", ["int_roaming"])
    request = settle(world, services.sim_services_set(sim_id=sim.pk, actor=staff, services=["mo_voice", "mt_voice"]))
    assert (request.command, request.params["services"]) == ("removeservice", ["int_roaming", "mo_sms", "mt_sms"])
    assert services_on(fresh(sim)) == ["mo_voice", "mt_voice"]
    assert world.fake.sim(sim.iccid).services == {"mo_voice", "mt_voice"}


def test_services_that_need_adding_and_removing_add_first_then_remove_once_aql_has_added(world, staff, make_sim):
    sim = make_sim(1, number="44113000001", services=("mo_voice", "mt_voice"))
    added = services.sim_services_set(sim_id=sim.pk, actor=staff, services=["mo_voice", "int_roaming"])
    assert (added.command, added.params["services"], added.params["then_remove"]) == (
        "addservice", ["int_roaming"], ["mt_voice"])
    assert world.fake.count("removeservice") == 0  # one command in flight per SIM
    settle(world, added)
    removal = GatewayRequest.objects.get(sim=sim, command="removeservice")
    assert (removal.params["services"], removal.actor) == (["mt_voice"], staff)  # for the same person
    # journalled with the addition's outcome, in its transaction: a worker that stops now loses nothing
    assert removal.state == RequestState.TO_SEND and world.fake.count("removeservice") == 0
    assert SimEvent.objects.filter(sim=sim, message="Removing incoming calls next, as asked with this change.").exists()
    assert ("mt_voice", "Incoming calls", "turning off next") in selectors.service_states(sim=sim, in_flight=removal)
    assert removal.pk in services.request_claim_due(limit=10, lease=60)  # the worker's requests lane takes it
    assert services.request_poll(request_id=removal.pk).state == RequestState.PENDING
    assert services.request_poll(request_id=removal.pk).state == RequestState.PENDING  # taken once: sent once
    assert world.fake.count("removeservice") == 1
    settle(world, removal)
    assert services_on(fresh(sim)) == ["int_roaming", "mo_voice"]


def test_a_removal_waiting_to_be_sent_is_not_sent_if_the_sim_moved_on_meanwhile(world, staff, make_sim):
    sim = make_sim(1, number="44113000001", services=("mo_voice", "mt_voice"))
    settle(world, services.sim_services_set(sim_id=sim.pk, actor=staff, services=["mo_voice", "int_roaming"]))
    removal = GatewayRequest.objects.get(sim=sim, command="removeservice")
    Sim.objects.filter(pk=sim.pk).update(state=SimState.SUSPENDED)  # e.g. by hand in Django admin
    assert services.request_poll(request_id=removal.pk).state == RequestState.NOT_SENT
    assert world.fake.count("removeservice") == 0
    assert sim.events.filter(request=removal, action="not_sent", message__startswith="Remove services not sent: "
                             "Remove services needs a SIM that is active").exists()


def test_the_removal_after_an_addition_is_not_sent_if_the_sim_moved_on_and_the_timeline_says_so(world, staff,
                                                                                              make_sim):
    sim = make_sim(1, number="44113000001", services=("mo_voice", "mt_voice"))
    added = services.sim_services_set(sim_id=sim.pk, actor=staff, services=["mo_voice", "int_roaming"])
    Sim.objects.filter(pk=sim.pk).update(state=SimState.SUSPENDED)  # e.g. suspended from aql's side meanwhile
    world.fake.advance(world.fake.faults.settle_after)
    services.request_poll(request_id=added.pk)
    assert world.fake.count("removeservice") == 0
    assert SimEvent.objects.filter(sim=sim, message__startswith="Incoming calls not removed: Remove services needs",
                                   action="not_sent").exists()
    assert not GatewayRequest.objects.filter(sim=sim, command="removeservice").exists()


# --- numbers ----------------------------------------------------------------------------------

def test_assign_number_settles_at_once(world, staff, make_sim):
    sim = make_sim(1)
    request = services.sim_number_assign(sim_id=sim.pk, actor=staff, number="0113000007")
    assert request.state == RequestState.SUCCESS
    assert fresh(sim).number.number == "44113000007"
    assert world.fake.sim(sim.iccid).geo_nos == "44113000007"


def test_change_number_frees_the_old_one(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    request = services.sim_number_change(sim_id=sim.pk, actor=staff, number="44113000008")
    assert (request.state, request.params) == (RequestState.SUCCESS,
                                               {"geo_nos": "44113000001", "new_geo_nos": "44113000008"})
    assert fresh(sim).number.number == "44113000008"
    assert GeographicNumber.objects.filter(number="44113000001", sim__isnull=True, held_by=None).exists()


def test_a_number_another_sim_has_is_refused_before_sending(world, staff, make_sim):
    make_sim(1, number="44113000001")
    sim = make_sim(2, number="44113000002")
    with pytest.raises(Refused, match="already in use"):
        services.sim_number_change(sim_id=sim.pk, actor=staff, number="44113000001")
    assert world.fake.count("changegeo") == 0


def test_number_add_takes_a_pasted_list_and_rejects_it_whole_when_one_is_bad(db):
    assert len(services.number_add(numbers=["0113 496 0000", "441134960001", "0113 496 0000"])) == 2
    with pytest.raises(ValidationError, match="07700900123"):
        services.number_add(numbers=["01134960002", "07700900123"])
    assert GeographicNumber.objects.count() == 2


# --- queryiccid ------------------------------------------------------------------------------

def test_query_finds_nothing_to_change_when_records_agree(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    request = services.sim_query(sim_id=sim.pk, actor=staff)
    assert request.state == RequestState.SUCCESS
    assert fresh(sim).events.first().message == "Asked aql: its record matches ours."


def test_query_brings_our_record_in_line_and_records_each_difference(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="suspended", geo_nos="44113000003", services=["int_roaming"])
    services.sim_query(sim_id=sim.pk, actor=staff)
    sim = fresh(sim)
    assert (sim.state, sim.number.number, sim.int_roaming) == (SimState.SUSPENDED, "44113000003", True)
    event = sim.events.first()
    assert event.action == "drift"
    for difference in ("state was active, aql says suspended", "number was 0113 000 001, aql says 0113 000 003",
                       "international roaming was off, aql says on"):
        assert difference in event.message
    assert (event.before["state"], event.after["state"]) == ("active", "suspended")


def test_query_runs_beside_a_command_in_flight(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    assert services.sim_query(sim_id=sim.pk, actor=staff).state == RequestState.SUCCESS


# --- the lifecycle guards every command ------------------------------------------------------

def run(command: Command, sim: Sim, actor):
    """Send `command` with valid input."""
    calls = {
        Command.ACTIVATE: lambda: services.sim_activate(sim_id=sim.pk, actor=actor, **activation()),
        Command.SUSPEND: lambda: services.sim_suspend(sim_id=sim.pk, actor=actor),
        Command.REACTIVATE: lambda: services.sim_reactivate(sim_id=sim.pk, actor=actor),
        Command.DEACTIVATE: lambda: services.sim_deactivate(sim_id=sim.pk, actor=actor),
        Command.ADDSERVICE: lambda: services.sim_services_add(sim_id=sim.pk, actor=actor, services=["mo_sms"]),
        Command.REMOVESERVICE: lambda: services.sim_services_remove(sim_id=sim.pk, actor=actor, services=["mo_sms"]),
        Command.ASSIGNGEO: lambda: services.sim_number_assign(sim_id=sim.pk, actor=actor, number="44113000009"),
        Command.CHANGEGEO: lambda: services.sim_number_change(sim_id=sim.pk, actor=actor, number="44113000009"),
    }
    return calls[command]()


ALLOWED = {
    Command.ACTIVATE: {SimState.UNUSED},
    Command.SUSPEND: {SimState.ACTIVE},
    Command.REACTIVATE: {SimState.SUSPENDED},
    Command.DEACTIVATE: {SimState.ACTIVE, SimState.SUSPENDED},
    Command.ADDSERVICE: {SimState.ACTIVE},
    Command.REMOVESERVICE: {SimState.ACTIVE},
    Command.ASSIGNGEO: {SimState.ACTIVE},
    Command.CHANGEGEO: {SimState.ACTIVE},
}
FORBIDDEN = [(c, s) for c, states in ALLOWED.items() for s in SimState if s not in states]


@pytest.mark.parametrize(("command", "state"), FORBIDDEN)
def test_a_forbidden_transition_is_refused_with_why_and_sends_nothing(world, staff, make_sim, command, state):
    needs_none = command in (Command.ACTIVATE, Command.ASSIGNGEO)
    sim = make_sim(1, state=state, number=None if needs_none or state == SimState.UNUSED else "44113000001")
    with pytest.raises(Refused) as caught:
        run(command, sim, staff)
    assert SimState(state).label.lower() in caught.value.message
    assert not GatewayRequest.objects.exists()
    assert len(world.fake.calls) == 0


@pytest.mark.parametrize("command", [c for c in ALLOWED if c != Command.ACTIVATE])
def test_every_command_is_refused_while_another_is_in_flight(world, staff, make_sim, command):
    sim = make_sim(1, number="44113000001")
    services.sim_services_add(sim_id=sim.pk, actor=staff, services=["int_roaming"])
    with pytest.raises(Refused, match="still in progress"):
        run(command, fresh(sim), staff)


def test_assign_needs_a_sim_without_a_number_and_change_one_with(world, staff, make_sim):
    with pytest.raises(Refused, match="already has a geographic number"):
        run(Command.ASSIGNGEO, make_sim(1, number="44113000001"), staff)
    with pytest.raises(Refused, match="no geographic number"):
        run(Command.CHANGEGEO, make_sim(2), staff)


# --- the worker's step -------------------------------------------------------------------------

def test_polling_before_aql_has_finished_keeps_the_request_pending(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    request = services.request_poll(request_id=services.sim_suspend(sim_id=sim.pk, actor=staff).pk)
    assert (request.state, request.poll_count) == (RequestState.PENDING, 1)
    assert request.next_poll_at is not None


def test_a_settled_request_polled_again_changes_nothing(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    request = settle(world, services.sim_suspend(sim_id=sim.pk, actor=staff))
    events = SimEvent.objects.count()
    again = services.request_poll(request_id=request.pk)
    assert again.state == RequestState.SUCCESS and again.poll_count == request.poll_count
    assert SimEvent.objects.count() == events
    assert world.fake.count("checkstatus") == 1


def test_the_journal_and_audit_trail_never_hold_the_password(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    settle(world, services.sim_suspend(sim_id=sim.pk, actor=staff))
    services.sim_query(sim_id=sim.pk, actor=staff)
    services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(0)).pk, actor=staff, **activation())
    world.fake.force("queryiccid", [401])
    services.sim_query(sim_id=sim.pk, actor=staff)
    stored = [str(list(GatewayRequest.objects.values())), str(list(SimEvent.objects.values()))]
    assert GatewayRequest.objects.count() == 4
    assert all(PASSWORD not in text for text in stored)


# --- every rejection a command can get is recorded with its meaning, and changes nothing -------

REJECTIONS = {  # the codes aql documents that each command can meet (auth, format, state, fields)
    Command.ACTIVATE: [401, 63001, 63003, 63007, 63014, 63021, 63026, 63027, 63028, 63029, 63030, 63031,
                       63033, 63201, 63204],
    Command.SUSPEND: [401, 63017, 63026, 63027, 63033, 63201, 63202],
    Command.REACTIVATE: [401, 63017, 63026, 63027, 63033, 63201, 63202],
    Command.DEACTIVATE: [401, 63017, 63026, 63027, 63033, 63201, 63202],
    Command.ADDSERVICE: [401, 63004, 63017, 63023, 63026, 63027, 63032, 63033, 63034],
    Command.REMOVESERVICE: [401, 63004, 63017, 63023, 63026, 63027, 63032, 63034],
    Command.ASSIGNGEO: [401, 63017, 63201, 63203, 63204],
    Command.CHANGEGEO: [401, 63017, 63201, 63202, 63204],
    Command.QUERYICCID: [400, 401, 500, 63001, 63003],
}
CASES = [(command, code) for command, codes_ in REJECTIONS.items() for code in codes_]


@pytest.mark.parametrize(("command", "code"), CASES, ids=[f"{c.value}-{n}" for c, n in CASES])
def test_each_rejection_is_recorded_with_its_meaning_and_changes_nothing(world, staff, make_sim, command, code):
    from aql import codes

    state = SimState.SUSPENDED if command == Command.REACTIVATE else SimState.ACTIVE
    number = None if command == Command.ASSIGNGEO else "44113000001"
    sim = Sim.objects.get(iccid=iccid(0)) if command == Command.ACTIVATE else make_sim(1, state=state, number=number)
    before = fresh(sim).snapshot()
    world.fake.force(command.value, [code])
    request = services.sim_query(sim_id=sim.pk, actor=staff) if command == Command.QUERYICCID else run(
        command, sim, staff)
    assert (request.state, request.codes) == (RequestState.REJECTED, [code])
    assert fresh(sim).snapshot() == before
    assert str(codes.usim(code)) in fresh(sim).events.first().message
    assert not GeographicNumber.objects.exclude(held_by=None).exists()


# --- refusals that come from aql's own rules (the simulator's), not from canned replies ----------

def test_a_sim_aql_holds_unused_refuses_suspend_with_63017_in_words(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="unused")  # our record is out of date
    request = services.sim_suspend(sim_id=sim.pk, actor=staff)
    assert (request.state, request.codes) == (RequestState.REJECTED, [63017])
    assert "This SIM is not active, so that cannot be done yet. (aql code 63017)" in fresh(sim).events.first().message


def test_a_number_aql_knows_differently_is_refused_with_63201(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="active", geo_nos="44113000002")
    request = services.sim_services_add(sim_id=sim.pk, actor=staff, services=["int_roaming"])
    assert (request.state, request.codes) == (RequestState.REJECTED, [63201])
    assert fresh(sim).int_roaming is False


def test_a_new_number_aql_sees_in_use_is_refused_with_63204_and_freed(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(iccid(2), state="active", geo_nos="44113000008")  # taken at aql, free in our pool
    request = services.sim_number_change(sim_id=sim.pk, actor=staff, number="44113000008")
    assert (request.state, request.codes) == (RequestState.REJECTED, [63204])
    assert fresh(sim).number.number == "44113000001"
    assert GeographicNumber.objects.get(number="44113000008").held_by is None


def test_a_terminated_sims_subscriber_can_be_erased_and_no_trace_is_left(world, staff):
    sim = Sim.objects.get(iccid=iccid(0))
    settle(world, services.sim_activate(sim_id=sim.pk, actor=staff, **activation()))
    with pytest.raises(Refused, match="still in use"):
        services.subscriber_erase(sim_id=sim.pk, actor=staff)
    settle(world, services.sim_deactivate(sim_id=sim.pk, actor=staff))
    services.subscriber_erase(sim_id=sim.pk, actor=staff)
    assert fresh(sim).subscriber is None and not Subscriber.objects.exists()
    trail = str(list(SimEvent.objects.values())) + str(list(GatewayRequest.objects.values()))
    for personal in ("Ada", "Lovelace", "Hunslet", "LS10", "441133203040"):
        assert personal not in trail
    assert fresh(sim).events.first().action == "erased"


def test_sims_per_state_are_kept_by_the_database_however_a_sim_changes(world, staff, make_sim):
    def kept() -> dict[str, int]:
        return {s: n for s, n in selectors.state_counts().items() if n}

    def counted() -> dict[str, int]:
        return dict(Sim.objects.order_by().values_list("state").annotate(n=Count("pk")))

    assert kept() == counted() == {SimState.UNUSED: 10}
    sim = make_sim(1, number="44113000001")  # saved by the ORM
    settle(world, services.sim_suspend(sim_id=sim.pk, actor=staff))  # by the service, under lock
    services.sim_add(iccids=["8944000000000000019", "8944000000000000027"])  # a bulk insert
    Sim.objects.filter(iccid=iccid(2)).update(state=SimState.TERMINATED)  # a raw update
    Sim.objects.filter(iccid=iccid(3)).delete()
    assert kept() == counted() == {SimState.UNUSED: 9, SimState.SUSPENDED: 1, SimState.TERMINATED: 1}


def test_whether_a_number_is_on_a_sim_is_kept_by_the_database_however_the_sim_changes(world, staff, make_sim,
                                                                                       settings):
    settings.NUMBER_REST_DAYS = 0  # a freed number is free at once (tests/sims/test_rests.py: numbers that rest)
    def kept() -> set[str]:
        return set(GeographicNumber.objects.filter(on_sim=True).values_list("number", flat=True))

    def on_sims() -> set[str]:
        return set(Sim.objects.filter(number__isnull=False).values_list("number__number", flat=True))

    make_sim(1, number="44113000001")
    sim = settle(world, services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(2)).pk, actor=staff,
                                              **activation(number="44113000002"))).sim
    settle(world, services.sim_number_change(sim_id=sim.pk, actor=staff, number="44113000003"))
    assert kept() == on_sims() == {"44113000001", "44113000003"}
    assert "44113000002" in set(GeographicNumber.objects.available().values_list("number", flat=True))
    Sim.objects.filter(pk=sim.pk).update(number=None)  # a raw update
    Sim.objects.filter(number__number="44113000001").delete()
    assert kept() == on_sims() == set()


def test_the_kept_counts_are_counted_afresh_after_a_flush_whatever_order_it_empties_tables_in(world, make_sim):
    from django.core.management import call_command

    SimStateCount.objects.all().delete()  # as when flush empties the counters before the SIMs...
    Sim.objects.filter(pk__in=Sim.objects.values("pk")[:3]).delete()  # ...whose deletes then count below zero
    assert min(selectors.state_counts().values()) < 0
    call_command("migrate", verbosity=0)  # post_migrate, as flush sends it
    assert {s: n for s, n in selectors.state_counts().items() if n} == {SimState.UNUSED: 7}


def test_a_number_saved_from_a_copy_read_earlier_leaves_on_sim_to_the_database(world, make_sim):
    number = GeographicNumber.objects.get(number="44113000001")  # read while free...
    make_sim(1, number="44113000001")  # ...then given to a SIM
    number.save()  # e.g. a form read before
    assert GeographicNumber.objects.get(pk=number.pk).on_sim is True


def test_when_the_addition_is_refused_the_timeline_says_the_removals_will_not_follow(world, staff, make_sim):
    world.fake.faults.unsupported_services = frozenset({"int_roaming"})
    sim = make_sim(1, number="44113000001", services=("mo_voice", "mt_voice"))
    added = services.sim_services_set(sim_id=sim.pk, actor=staff, services=["mo_voice", "int_roaming"])
    assert added.state == RequestState.REJECTED and world.fake.count("removeservice") == 0
    assert SimEvent.objects.filter(sim=sim, action="not_sent", message__startswith=(
        "Incoming calls not removed: the addition asked with it was refused.")).exists()
