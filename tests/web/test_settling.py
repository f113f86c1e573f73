"""Settling an unknown outcome from its page: what aql's record can and cannot show for the command,
every look at aql since the send (staff's and the worker's own), and, for a services change that is
safe to send twice, sending it again by the normal path so its answer makes it certain."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ops import gateway
from sims import services, tasks
from sims.models import GatewayRequest, RequestState, Sim
from tests.conftest import member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost_reply(world, settings):
    """The next command's reply is held past our timeout: aql acts, we never hear."""
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()

    def send(command, **kwargs) -> GatewayRequest:
        world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0
        try:
            request = command(**kwargs)
        finally:
            world.fake.faults.hang_rate = 0
        assert request.state == RequestState.UNKNOWN
        return request

    return send


def test_a_voice_or_sms_change_says_aqls_record_cannot_show_it_and_offers_sending_it_again(
        agent, staff, make_sim, lost_reply):
    sim = make_sim(1, number="44113000001", services=("mo_voice",))
    request = lost_reply(services.sim_services_add, sim_id=sim.pk, actor=staff, services=["mo_sms"])
    agent.post(f"/requests/{request.pk}/ask-aql/")
    page = agent.get(f"/requests/{request.pk}/resolve/").text
    assert "aql's record cannot show outgoing SMS" in page
    assert "whether it happened is not known" in page
    assert "Sending the same change again is safe" in page and "It can be sent again from" in page
    assert "I have compared aql" not in page  # not asked to be sure from a record that cannot show it
    assert "aql support has told me the outcome" in page


def test_a_roaming_change_is_one_aqls_record_can_show(agent, staff, make_sim, lost_reply):
    sim = make_sim(1, number="44113000001")
    request = lost_reply(services.sim_services_add, sim_id=sim.pk, actor=staff, services=["int_roaming"])
    agent.post(f"/requests/{request.pk}/ask-aql/")
    page = agent.get(f"/requests/{request.pk}/resolve/").text
    assert "it can show whether this happened" in page and "cannot show" not in page
    assert "I have compared aql" in page


def test_sending_a_services_change_again_settles_it_by_the_new_answer(agent, world, staff, make_sim, lost_reply,
                                                                      settings):
    settings.AQL_FIRST_POLL_DELAY = 0
    sim = make_sim(1, number="44113000001", services=("mo_voice",))
    request = lost_reply(services.sim_services_add, sim_id=sim.pk, actor=staff, services=["mo_sms"])
    settings.AQL_SETTLE_WINDOW = 60  # aql has certainly finished with the first send...
    GatewayRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    world.fake.advance(world.fake.faults.settle_after)  # ...as it has here
    assert "Send it again to make it certain" in agent.get(f"/requests/{request.pk}/resolve/").text
    page = agent.post(f"/requests/{request.pk}/send-again/", follow=True).text
    assert "Add services sent: aql is working on it." in page
    assert world.fake.count("addservice") == 2  # by the normal path, once more
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.PENDING  # the same row, no longer unknown
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))
    tasks.poll_pass()
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.SUCCESS
    assert Sim.objects.get(pk=sim.pk).mo_sms
    assert request.events.filter(message__contains="outcome not known, so sent again by agent").exists()


def test_a_change_is_not_sent_again_while_aql_may_still_be_working_on_the_first(agent, world, staff, make_sim,
                                                                              lost_reply):
    sim = make_sim(1, number="44113000001", services=("mo_voice",))
    request = lost_reply(services.sim_services_remove, sim_id=sim.pk, actor=staff, services=["mo_voice"])
    page = agent.post(f"/requests/{request.pk}/send-again/", follow=True).text
    assert "Not before" in page and "may still be working on the first send" in page
    assert world.fake.count("removeservice") == 1
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.UNKNOWN


def test_a_command_that_could_act_twice_is_never_sent_again_by_a_button(agent, world, staff, make_sim, lost_reply):
    sim = make_sim(1, number="44113000001")
    request = lost_reply(services.sim_suspend, sim_id=sim.pk, actor=staff)
    assert "Send it again" not in agent.get(f"/requests/{request.pk}/resolve/").text
    page = agent.post(f"/requests/{request.pk}/send-again/", follow=True).text
    assert "Suspend is not sent again: sent twice, it could act twice." in page
    assert world.fake.count("suspend") == 1
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.UNKNOWN


def test_the_workers_own_looks_since_the_send_are_shown_as_evidence(agent, staff, make_sim, lost_reply):
    sim = make_sim(1, number="44113000001")
    request = lost_reply(services.sim_suspend, sim_id=sim.pk, actor=staff)
    services.sim_query(sim_id=sim.pk, actor=None)  # the worker's own check (drift), after the send
    services.sim_query(sim_id=sim.pk, actor=staff)
    page = agent.get(f"/requests/{request.pk}/resolve/").text
    assert "asked by agent" in page  # the newest, in full
    assert "Earlier looks since it was sent" in page and "the worker" in page


def _due_again(request: GatewayRequest, settings) -> None:
    settings.AQL_SETTLE_WINDOW = 60  # aql has certainly finished with the send
    GatewayRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(seconds=61))


def test_a_change_whose_requester_may_no_longer_give_it_is_not_sent_again_and_stays_unknown(
        client, world, staff, make_sim, lost_reply, settings):
    from django.contrib.auth.models import Group

    sim = make_sim(1, number="44113000001", services=("mo_voice",))
    request = lost_reply(services.sim_services_add, sim_id=sim.pk, actor=staff, services=["mo_sms"])
    _due_again(request, settings)
    staff.groups.set([Group.objects.get(name="Observer")])  # the one who asked no longer may
    client.force_login(member_of("Supervisor", "sam"))
    page = client.post(f"/requests/{request.pk}/send-again/", follow=True).text
    assert "Not sent again: agent&#x27;s account no longer may add services" in page
    assert world.fake.count("addservice") == 1
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.UNKNOWN  # never "not done"


def test_a_change_sent_again_without_an_answer_waits_the_window_again_from_that_send(
        agent, world, staff, make_sim, lost_reply, settings):
    sim = make_sim(1, number="44113000001", services=("mo_voice",))
    request = lost_reply(services.sim_services_add, sim_id=sim.pk, actor=staff, services=["mo_sms"])
    _due_again(request, settings)
    world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0  # the second send unanswered too
    agent.post(f"/requests/{request.pk}/send-again/")
    world.fake.faults.hang_rate = 0
    again = GatewayRequest.objects.get(pk=request.pk)
    assert again.state == RequestState.UNKNOWN and timezone.now() - again.created_at < timedelta(seconds=30)
    page = agent.post(f"/requests/{request.pk}/send-again/", follow=True).text
    assert "Not before" in page and world.fake.count("addservice") == 2
