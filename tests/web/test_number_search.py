"""Choosing a number: a box to type in, with the pool's free numbers that start as typed found as one
types (the number search, by htmx), and without JavaScript a typed number, checked to be free, with
the error next to the field."""

import pytest

from sims.models import GeographicNumber, Sim
from tests.conftest import activation, iccid
from tests.web.test_pages import count_queries

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["0113 000 00", "+44 (0)113 000 00", "4411300000", "(0113) 000-00"])
def test_the_number_search_finds_the_free_numbers_that_start_as_typed_however_written(agent, make_sim, typed):
    make_sim(1, number="44113000001")
    found = agent.get("/numbers/free/", {"number": typed}).text
    assert '<option value="0113 000 005">' in found and "0113 000 001" not in found  # on a SIM: not free


def test_the_number_search_says_when_no_free_number_starts_so(agent, world):
    found = agent.get("/numbers/free/", {"number": "0207"}).text
    assert "No free number starts with 0207." in found and "<option" not in found


def test_the_number_box_asks_the_search_as_one_types(agent, world):
    page = agent.get(f"/sims/{iccid(1)}/activate/").text
    assert 'hx-get="/numbers/free/"' in page and 'list="free-numbers-list"' in page
    assert "<select" not in page.split('id="id_number"')[0].rsplit("<label", 1)[-1]


def test_the_number_search_runs_the_same_queries_for_10_free_numbers_and_1000(agent, world):
    url = "/numbers/free/?number=0113"
    at_ten = count_queries(agent, url)
    GeographicNumber.objects.bulk_create(GeographicNumber(number=str(441135000000 + n)) for n in range(1000))
    assert count_queries(agent, url) == at_ten


def test_a_typed_number_is_taken_without_javascript_and_one_not_free_is_refused_by_the_field(
        agent, world, staff, make_sim):
    make_sim(1, number="44113000001")
    taken = agent.post(f"/sims/{iccid(3)}/activate/", activation(number="0113 000 001"))
    assert taken.status_code == 200
    assert '<p class="error" id="id_number_error">That number is already in use by another SIM.</p>' in taken.text
    assert 'value="0113 000 001"' in taken.text  # what was typed stays
    assert Sim.objects.get(iccid=iccid(3)).state == "unused"
    done = agent.post(f"/sims/{iccid(3)}/activate/", activation(number="+44 (0)113 000 005"))
    assert done.status_code == 302  # sent, in aql's form of what was typed
    assert Sim.objects.get(iccid=iccid(3)).requests.get().params["geo_nos"] == "44113000005"
