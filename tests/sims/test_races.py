"""Double submission and two staff at once: one command reaches the gateway, on SQLite and PostgreSQL."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from common.errors import Refused
from sims import services
from sims.models import GatewayRequest, Sim
from tests.conftest import activation, iccid

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls in threads released together; each result's state, or 'refused'."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results.append(call().state)
        except Refused:
            results.append("refused")
        except Exception as exc:  # shown in the assertion, rather than lost with the thread
            results.append(f"error: {exc!r}")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def test_the_same_suspend_posted_four_times_at_once_sends_one_command(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    results = at_once([lambda: services.sim_suspend(sim_id=sim.pk, actor=staff)] * 4)
    assert results == ["pending", "refused", "refused", "refused"]
    assert world.fake.count("suspend") == 1
    assert GatewayRequest.objects.filter(sim=sim).count() == 1


def test_two_staff_activating_one_sim_at_once_send_one_command(world, staff, django_user_model):
    other = django_user_model.objects.create_user("other-agent")
    sim = Sim.objects.get(iccid=iccid(0))
    results = at_once([
        lambda: services.sim_activate(sim_id=sim.pk, actor=staff, **activation()),
        lambda: services.sim_activate(sim_id=sim.pk, actor=other, **activation(number="44113000006")),
    ])
    assert results == ["pending", "refused"]
    assert world.fake.count("activate") == 1


def test_two_sims_racing_for_one_number_send_one_command(world, staff):
    first, second = Sim.objects.get(iccid=iccid(0)), Sim.objects.get(iccid=iccid(1))
    results = at_once([
        lambda: services.sim_activate(sim_id=first.pk, actor=staff, **activation()),
        lambda: services.sim_activate(sim_id=second.pk, actor=staff, **activation()),
    ])
    assert results == ["pending", "refused"]
    assert world.fake.count("activate") == 1


def test_a_form_posted_again_after_the_first_went_through_is_refused(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    services.sim_services_add(sim_id=sim.pk, actor=staff, services=["int_roaming"])
    with pytest.raises(Refused, match="still in progress"):
        services.sim_services_add(sim_id=sim.pk, actor=staff, services=["int_roaming"])
    assert world.fake.count("addservice") == 1
