"""A command's staff page asks for the permission its row in the registry names, once."""

from dataclasses import replace

import pytest

from common.models import AuditAction, AuditEvent
from sims.lifecycle import TABLE, Command, SimState
from tests.conftest import member_of

pytestmark = pytest.mark.django_db

PAGES = {Command.ACTIVATE: "activate/", Command.SUSPEND: "suspend/", Command.REACTIVATE: "reactivate/",
         Command.DEACTIVATE: "deactivate/", Command.ADDSERVICE: "services/", Command.ASSIGNGEO: "number/",
         Command.QUERYICCID: "query/"}


@pytest.mark.parametrize("command", list(PAGES))
def test_a_command_page_asks_for_the_permission_its_registry_row_names(client, staff, make_sim, monkeypatch,
                                                                       command):
    sim = make_sim(1, SimState.ACTIVE, "44113000001")
    monkeypatch.setitem(TABLE, command, replace(TABLE[command], permission="sims.no_such_permission"))
    client.force_login(staff)
    response = client.post(f"/sims/{sim.iccid}/{PAGES[command]}")
    assert response.status_code == 403 and not sim.requests.exists()
    assert "sims.no_such_permission" in response.content.decode()


def test_suspending_without_the_permission_is_refused_once_and_recorded_once(client, make_sim, django_user_model):
    sim = make_sim(1, SimState.ACTIVE, "44113000001")
    client.force_login(member_of("Observer", "watcher", django_user_model))
    assert client.post(f"/sims/{sim.iccid}/suspend/").status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.FORBIDDEN).count() == 1 and not sim.requests.exists()


def test_a_customer_service_agent_may_suspend_but_not_terminate(client, make_sim, django_user_model):
    sim = make_sim(1, SimState.ACTIVE, "44113000001")
    client.force_login(member_of("Customer service", "cs", django_user_model))
    assert client.get(f"/sims/{sim.iccid}/suspend/").status_code == 200
    assert client.get(f"/sims/{sim.iccid}/deactivate/").status_code == 403
