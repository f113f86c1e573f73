"""`manage.py demo_setup` against the simulator over loopback: a world worth looking at, made through the services."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from orders.models import DespatchOrder, OrderState, Product
from sims.lifecycle import SimState
from sims.models import GatewayRequest, RequestState, Sim, SimEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def demo_setup() -> str:
    out = StringIO()
    call_command("demo_setup", "--url", "http://demo.test/", stdout=out)
    return out.getvalue()


def test_demo_setup_seeds_every_state_through_the_simulator_and_a_second_run_keeps_it(aql_settings):
    output = demo_setup()

    assert {s.value for s in SimState} <= set(Sim.objects.values_list("state", flat=True))
    assert GatewayRequest.objects.filter(state=RequestState.PENDING).count() >= 1
    assert GatewayRequest.objects.filter(state=RequestState.FAILED).count() == 1
    assert GatewayRequest.objects.filter(needs_attention=True).exists()
    assert SimEvent.objects.filter(action="drift").exists()
    assert Sim.objects.filter(int_roaming=True).exists() and Sim.objects.filter(int_calling=True).exists()
    assert {OrderState.DRAFT, OrderState.PROCESSING, OrderState.DESPATCHED, OrderState.CANCELLED} <= set(
        DespatchOrder.objects.values_list("state", flat=True))
    for product in Product.objects.all():
        assert product.levels.count() >= 2
    assert [p.code for p in Product.objects.all() if p.levels.latest("checked_at").low] == ["AQL-123"]
    staff = set(GatewayRequest.objects.exclude(actor=None).values_list("actor__username", flat=True))
    assert staff == {"admin", "sam", "priya"}
    assert not get_user_model().objects.get(username="sam").is_superuser

    # Made through the gateway, not written in: every live SIM is as the simulator has it.
    for sim in Sim.objects.filter(state__in=[SimState.ACTIVE, SimState.SUSPENDED]).select_related("number"):
        record = aql_settings.fake.sim(sim.iccid)
        assert (record.state, record.geo_nos) == (sim.state, sim.number.number if sim.number else None)
    # one of them live without a number, so that "assign a number" can be tried
    assert Sim.objects.filter(state=SimState.ACTIVE, number=None).count() == 1

    # a login per role, each in its role, and the logins last
    roles = {"admin": None, "priya": "Supervisor", "sam": "Customer service", "olu": "Observer"}
    for username, role in roles.items():
        assert re.search(rf"^  sign in as {username} / \S+  \(", output, re.MULTILINE), username
        user = get_user_model().objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == ([role] if role else [])

    assert output.rstrip().endswith("(Ctrl-C stops the web server, the worker and the simulator)")
    assert "sign in as admin / " in output and PASSWORD not in output

    # Again on the same database: the world is left alone, the logins get fresh passwords.
    requests = GatewayRequest.objects.count()
    again = demo_setup()
    assert GatewayRequest.objects.count() == requests
    assert "already holds a demo world" in again
    login = [line for line in (output + again).splitlines() if "sign in as" in line]
    assert len(login) == 2 * len(roles) and not set(login[:len(roles)]) & set(login[len(roles):])
    # ...and a fresh API key, the last one revoked, which answers as printed
    first, second = (re.search(r"Bearer (mvno_\S+)'", text).group(1) for text in (output, again))
    assert first != second and "http://demo.test/api/v1/sims" in again
    client = Client(HTTP_AUTHORIZATION=f"Bearer {second}")
    assert client.get("/api/v1/sims").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Bearer {first}").get("/api/v1/sims").status_code == 401


def test_demo_setup_refuses_a_gateway_that_is_not_the_simulator(settings, serve):
    def not_aql(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found\n"]

    settings.AQL_USIM_URL = serve(not_aql) + "/mobile/configure_sim.php"
    with pytest.raises(CommandError, match="demo_setup seeds only the simulator"):
        demo_setup()
    assert not Sim.objects.exists()
