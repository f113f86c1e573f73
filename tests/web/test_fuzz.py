"""Random input thrown at every staff form: always a page with a message (200) or, if it happens to be
valid, a redirect; never a server error, and nothing sent to aql for input that was refused."""

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import DespatchOrder
from sims.models import GatewayRequest
from tests.conftest import iccid

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
anything = st.one_of(st.text(max_size=80), st.sampled_from([
    "", " ", "0113 000 0005", "44113000005", "LS10 1JQ", "490154203237518", "\x00", "<script>", "0" * 400,
    "9" * 30, "²"]))


def fields(*names: str) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({name: anything for name in names})


@pytest.fixture
def agent(client, staff, world, make_sim):
    client.force_login(staff)
    make_sim(1, number="44113000001")
    return client


def post(agent, url: str, data: dict) -> int:
    accepted = GatewayRequest.objects.filter(state__in=["pending", "success"])
    accepted_before = accepted.count()
    response = agent.post(url, data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:  # refused: nothing new was accepted by aql
        assert accepted.count() == accepted_before
    return response.status_code


@FUZZ
@given(data=fields("imei", "number", "name", "address", "postcode", "contact_number"))
def test_the_activate_form(agent, data):
    post(agent, f"/sims/{iccid(0)}/activate/", data)


@FUZZ
@given(data=fields("action", "services"))
def test_the_services_form(agent, data):
    post(agent, f"/sims/{iccid(1)}/services/", data)


@FUZZ
@given(data=fields("number"))
def test_the_number_form(agent, data):
    post(agent, f"/sims/{iccid(1)}/number/", data)


@FUZZ
@given(data=fields("confirm"))
def test_the_terminate_form(agent, data):
    post(agent, f"/sims/{iccid(1)}/deactivate/", data)


@FUZZ
@given(data=fields("numbers"))
def test_the_bulk_numbers_form(agent, data):
    post(agent, "/numbers/", data)


@FUZZ
@given(data=fields("name", "company", "address", "postcode", "contact_no"))
def test_the_order_form(agent, data):
    orders_before = DespatchOrder.objects.count()
    if post(agent, "/orders/new/", data) == 200:
        assert DespatchOrder.objects.count() == orders_before


@FUZZ
@given(q=anything, state=anything, service=anything, sort=anything, cursor=anything)
def test_the_list_filters(agent, q, state, service, sort, cursor):
    for url in ("/sims/", "/requests/", "/numbers/", "/orders/"):
        response = agent.get(url, {"q": q, "state": state, "service": service, "sort": sort, "cursor": cursor,
                                   "show": state})
        assert response.status_code == 200


def token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@FUZZ
@given(ahead=st.one_of(st.booleans(), st.integers()), values=st.lists(st.one_of(
    st.integers(min_value=-(2 ** 80), max_value=2 ** 80), st.text(), st.floats(), st.none(), st.booleans(),
    st.lists(st.integers(), max_size=2), st.sampled_from(["2026-12-01T10:00:00", "2026-12-01T10:00:00+00:00"])),
    max_size=3), sort=st.sampled_from(["updated", "iccid", "state"]))
def test_any_page_token_gives_a_page(agent, ahead, values, sort):
    for url in ("/sims/", "/requests/", "/numbers/", "/orders/"):
        assert agent.get(url, {"cursor": token([ahead, values]), "sort": sort}).status_code == 200


@pytest.mark.parametrize("url", ["/sims/?q=ab%00c", "/numbers/?q=%00", "/requests/?show=%00", "/orders/?state=%00"])
def test_a_nul_character_in_a_search_gives_a_page(agent, url):
    assert agent.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/sims/11%00/", "/sims/abc/", "/orders/MVN-%00/", "/orders/lower/"])
def test_an_address_that_names_nothing_is_a_404(agent, url):
    assert agent.get(url).status_code == 404


def test_check_now_only_ever_returns_to_our_own_pages(agent, world, staff):
    from sims import services
    from sims.models import Sim

    request = services.sim_suspend(sim_id=Sim.objects.get(iccid=iccid(1)).pk, actor=staff)
    response = agent.post(f"/requests/{request.pk}/check/", {"next": "https://evil.example/"})
    assert response.url == "/requests/"
